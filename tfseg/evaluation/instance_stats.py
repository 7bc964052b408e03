"""Per-instance true/false-negative counts for the Cityscapes iIoU, as the official script counts.

cityscapesscripts' `evalPixelLevelSemanticLabeling.py` is the specification:

* Instances are the values > 1000 of `*_gtFine_instanceIds.png` (label id * 1000 + k); an
  instance of a label that is ignored in evaluation (caravan, trailer) is skipped.
* For each instance of size s, tp = its pixels predicted as its own class and fn = s - tp. Both
  are weighted by `avgClassSize[class] / s`, so every instance counts as much as an average-sized
  one of its class, whatever its size.
* Categories whose every label has instances (human, vehicle) get the same counts with "predicted
  as any class of the instance's category" as the hit test.
* False positives are *not* weighted: `compute_metrics` takes them from the confusion matrix.
"""

import numpy as np
from cityscapesscripts.helpers.labels import category2labels, labels

# Instance ids are label_id * 1000 + k; the official script takes only values strictly above 1000.
_INSTANCE_OFFSET = 1000


def _average_class_sizes():
    # Read from the installed official script, so the weights are the ones it uses.
    from cityscapesscripts.evaluation import evalPixelLevelSemanticLabeling as official

    return dict(official.args.avgClassSize)


class InstanceStats:
    """Streaming per-class and per-category instance counts over Cityscapes train ids.

    Attributes:
        num_classes: size of the prediction's train-id range (19, or 20 with keep_void; the void
            class never matches an instance).
        class_ids: train ids of the classes with instances (person, rider, car, truck, bus, train,
            motorcycle, bicycle).
        category_names: the categories whose every label has instances ("human", "vehicle").
        category_members: per category, the train ids that belong to it.
        tp, fn: int64 `[num_classes]` unweighted pixel counts per class (as the official
            `instStats`, for information).
        tp_weighted, fn_weighted: float64 `[num_classes]`, the counts iIoU uses.
        category_tp, category_fn, category_tp_weighted, category_fn_weighted: the same per
            category, indexed like `category_names`.
        num_instances: int64 `[num_classes]`, instances seen per class.

    Example:
        >>> stats = InstanceStats()
        >>> instances = np.array([[26000, 26000, 26001, 7]])  # two cars (label id 26), road
        >>> _ = stats.update(instances, np.array([[13, 0, 13, 0]]))  # car = train id 13
        >>> float(stats.tp_weighted[13]) > 0, int(stats.num_instances[13])
        (True, 2)
    """

    def __init__(self, num_classes=19):
        """Builds the label-id tables from cityscapesscripts' label list.

        Args:
            num_classes: number of predicted train ids (19; 20 with keep_void).
        """
        self.num_classes = int(num_classes)
        sizes = _average_class_sizes()
        table_size = max(label.id for label in labels) + 1
        # label id -> train id / weight numerator, for labels whose instances are evaluated.
        self._train_id = np.full(table_size, -1, np.int64)
        self._average_size = np.zeros(table_size, np.float64)
        for label in labels:
            if label.id >= 0 and label.hasInstances and not label.ignoreInEval:
                self._train_id[label.id] = label.trainId
                self._average_size[label.id] = sizes[label.name]
        self.class_ids = tuple(int(t) for t in sorted(self._train_id[self._train_id >= 0]))

        # The official script keeps a category only if every label in it (id >= 0) has instances.
        self.category_names = tuple(
            name
            for name, members in category2labels.items()
            if all(label.hasInstances for label in members if label.id >= 0)
        )
        self._category_of_label = np.full(table_size, -1, np.int64)
        self._category_of_train_id = np.full(self.num_classes, -1, np.int64)
        members = {name: [] for name in self.category_names}
        for label in labels:
            if label.id < 0 or label.category not in members:
                continue
            index = self.category_names.index(label.category)
            self._category_of_label[label.id] = index
            if 0 <= label.trainId < self.num_classes and not label.ignoreInEval:
                self._category_of_train_id[label.trainId] = index
                members[label.category].append(label.trainId)
        self.category_members = tuple(tuple(sorted(members[n])) for n in self.category_names)

        self.tp = np.zeros(self.num_classes, np.int64)
        self.fn = np.zeros(self.num_classes, np.int64)
        self.tp_weighted = np.zeros(self.num_classes, np.float64)
        self.fn_weighted = np.zeros(self.num_classes, np.float64)
        self.num_instances = np.zeros(self.num_classes, np.int64)
        n = len(self.category_names)
        self.category_tp = np.zeros(n, np.int64)
        self.category_fn = np.zeros(n, np.int64)
        self.category_tp_weighted = np.zeros(n, np.float64)
        self.category_fn_weighted = np.zeros(n, np.float64)

    def update(self, instance_ids, predictions):
        """Adds one image's instances.

        Args:
            instance_ids: integer array `[H, W]` (or any shape) of Cityscapes instance ids, as in
                `*_gtFine_instanceIds.png`.
            predictions: integer array of the same shape, predicted train ids.

        Returns:
            self.

        Raises:
            ValueError: the shapes differ.
        """
        instance_ids = np.asarray(instance_ids)
        predictions = np.asarray(predictions)
        if instance_ids.shape != predictions.shape:
            raise ValueError(
                f"instance ids {instance_ids.shape} and predictions {predictions.shape} differ "
                "in shape"
            )
        instance_ids = instance_ids.reshape(-1)
        selected = instance_ids > _INSTANCE_OFFSET
        if not selected.any():
            return self
        ids, inverse, sizes = np.unique(
            instance_ids[selected], return_inverse=True, return_counts=True
        )
        label_ids = ids // _INSTANCE_OFFSET
        # Ids of labels that do not exist are skipped (the official script would crash on them).
        known = label_ids < len(self._train_id)
        label_ids = np.where(known, label_ids, 0)
        train_ids = np.where(known, self._train_id[label_ids], -1)
        categories = np.where(known, self._category_of_label[label_ids], -1)
        keep = train_ids >= 0  # per instance: not ignored in evaluation

        predicted = predictions.reshape(-1)[selected].astype(np.int64)
        hit = predicted == train_ids[inverse]
        tp = np.bincount(inverse[hit], minlength=len(ids))
        in_range = (predicted >= 0) & (predicted < self.num_classes)
        predicted_category = np.where(
            in_range, self._category_of_train_id[np.clip(predicted, 0, self.num_classes - 1)], -1
        )
        category_hit = (predicted_category == categories[inverse]) & (predicted_category >= 0)
        category_tp = np.bincount(inverse[category_hit], minlength=len(ids))

        weight = self._average_size[label_ids] / sizes
        t = train_ids[keep]
        np.add.at(self.tp, t, tp[keep])
        np.add.at(self.fn, t, (sizes - tp)[keep])
        np.add.at(self.tp_weighted, t, (tp * weight)[keep])
        np.add.at(self.fn_weighted, t, ((sizes - tp) * weight)[keep])
        np.add.at(self.num_instances, t, 1)

        in_category = keep & (categories >= 0)
        c = categories[in_category]
        np.add.at(self.category_tp, c, category_tp[in_category])
        np.add.at(self.category_fn, c, (sizes - category_tp)[in_category])
        np.add.at(self.category_tp_weighted, c, (category_tp * weight)[in_category])
        np.add.at(self.category_fn_weighted, c, ((sizes - category_tp) * weight)[in_category])
        return self

    _FIELDS = (
        "tp",
        "fn",
        "tp_weighted",
        "fn_weighted",
        "num_instances",
        "category_tp",
        "category_fn",
        "category_tp_weighted",
        "category_fn_weighted",
    )

    def merge(self, other):
        """Adds the counts of another `InstanceStats` with the same `num_classes`.

        Returns:
            self.
        """
        if other.num_classes != self.num_classes:
            raise ValueError(
                f"cannot merge instance stats over {other.num_classes} classes into "
                f"{self.num_classes}"
            )
        for field in self._FIELDS:
            getattr(self, field)[:] += getattr(other, field)
        return self

    def __repr__(self):
        return (
            f"InstanceStats(num_classes={self.num_classes}, instances={self.num_instances.sum()})"
        )
