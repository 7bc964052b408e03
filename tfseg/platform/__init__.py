"""What the CPU and TensorFlow build this process runs on can do, and clear errors where not."""

from tfseg.platform.onednn import ONEDNN_VARIABLE, onednn_enabled, prefer_onednn
from tfseg.platform.platform_error import platform_error_from

__all__ = ["ONEDNN_VARIABLE", "onednn_enabled", "platform_error_from", "prefer_onednn"]
