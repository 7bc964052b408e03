"""A plain-text table of per-class and per-category scores, for the command line."""

import math


def format_metrics_table(metrics):
    """Formats the dict of `compute_metrics` / `evaluate_model` as a table, in percent.

    Classes get IoU and, for the classes with instances, iIoU; then the categories (if the data
    set has any) with IoU and iIoU; then the means and the pixel accuracy. NaN (a class that is
    neither in the ground truth nor predicted, or iIoU without instance ids) shows as "n/a", and
    "-" marks a class without an iIoU.

    Args:
        metrics: a dict with at least `iou` and `miou`; the other keys of `compute_metrics` are
            shown when present.

    Returns:
        str, several lines, no trailing newline.

    Example:
        >>> print(format_metrics_table({"iou": {"road": 0.97}, "miou": 0.97}))  # doctest: +SKIP
        class              IoU %   iIoU %
        ---------------------------------
        road               97.00        -
        ...
    """
    lines = []
    lines += _section(
        "class",
        metrics.get("iou", {}),
        metrics.get("iiou_per_class", {}),
        metrics.get("miou"),
        metrics.get("iiou"),
    )
    if metrics.get("category_iou"):
        lines.append("")
        lines += _section(
            "category",
            metrics["category_iou"],
            metrics.get("category_iiou_per_category", {}),
            metrics.get("category_miou"),
            metrics.get("category_iiou"),
        )
    lines.append("")
    if "pixel_accuracy" in metrics:
        lines.append(f"{'pixel accuracy':<16}{_percent(metrics['pixel_accuracy']):>9}")
    if "num_images" in metrics:
        timing = f"{metrics['num_images']} images"
        if metrics.get("seconds"):
            rate = metrics["num_images"] / metrics["seconds"]
            timing += f" in {metrics['seconds']:.1f} s ({rate:.2f} images/s)"
        lines.append(f"{'evaluated':<16}{timing}")
    return "\n".join(lines).rstrip("\n")


def _section(title, scores, instance_scores, mean, instance_mean):
    width = max([16] + [len(name) + 2 for name in scores])
    rule = "-" * (width + 18)
    lines = [f"{title:<{width}}{'IoU %':>9}{'iIoU %':>9}", rule]
    for name, value in scores.items():
        instance = _percent(instance_scores[name]) if name in instance_scores else "-"
        lines.append(f"{name:<{width}}{_percent(value):>9}{instance:>9}")
    lines.append(rule)
    instance = _percent(instance_mean) if instance_scores else "-"
    lines.append(f"{'mean':<{width}}{_percent(mean):>9}{instance:>9}")
    return lines


def _percent(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{100.0 * value:.2f}"
