"""The standalone Jetson TensorRT runner, `segment_trt.py`: copied into bundles, never imported."""
