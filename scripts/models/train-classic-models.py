#!/usr/bin/python3
"""Trains the bundled classic models on scikit-learn's own small data sets and writes them as skl2onnx would.

Run with Debian's Python: `apt-get install -y python3-sklearn python3-onnx`, then
`/usr/bin/python3 scripts/models/train-classic-models.py` (a few seconds; scikit-learn 1.2, onnx 1.12). Never needed
by `npm ci`, `npm run dev`, the tests or CI: everything it writes is committed. A rerun writes the same bytes.

It writes, for each model:
- models/weights/<name>.onnx: the graph skl2onnx's default export (`to_onnx` / `convert_sklearn`, zipmap on, float32
  inputs, target opset 17 with ai.onnx.ml 1) gives for the fitted estimator. skl2onnx itself is not packaged for
  Debian, so this script emits the same operators, attributes, names and types with onnx.helper, following
  skl2onnx's converters (operator_converters/linear_classifier.py, scaler_op.py, zip_map.py, random_forest.py with
  common/tree_ensemble.py, linear_regressor.py, concat_op.py);
- models/weights/<name>.metrics.json: the split, scikit-learn's own scores on the held-out rows (sklearn.metrics) and
  the training range of every feature (the manifests' `preprocess.features` ranges come from it);
- test/data/tabular/<name>.json: the held-out rows (features as float32 values, in the model's order), their true
  label or value, and scikit-learn's own prediction for each (label and class probabilities, or value), computed on
  the float32 features the ONNX model receives. `npm run eval` and the tests read it.

Data (shipped inside scikit-learn, no download):
- breast_cancer: Breast Cancer Wisconsin (Diagnostic), W. N. Street, W. H. Wolberg and O. L. Mangasarian (1993),
  UCI Machine Learning Repository; 569 tumours, 30 features, malignant (0) / benign (1).
- iris: R. A. Fisher (1936), "The use of multiple measurements in taxonomic problems", Annals of Eugenics 7(2);
  UCI Machine Learning Repository; 150 flowers, 4 features, 3 species.
- diabetes: B. Efron, T. Hastie, I. Johnstone and R. Tibshirani (2004), "Least Angle Regression", Annals of
  Statistics 32(2); 442 patients, 10 standardized features, disease progression one year later.

Held out: a stratified (classifiers) or plain 25% split with train_test_split(random_state=SEED).
"""
import json
import os
import sys

import numpy as np
import onnx
import sklearn
from onnx import TensorProto, helper
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    mean_absolute_error,
    mean_squared_error,
    precision_recall_fscore_support,
    r2_score,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

SEED = 20260101
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WEIGHTS = os.path.join(ROOT, "models", "weights")
HELD_OUT = os.path.join(ROOT, "test", "data", "tabular")
TARGET_OPSET = 17  # the newest opset onnx 1.12 knows; skl2onnx targets the newest it and onnx support
ML_OPSET = 1  # every ai.onnx.ml operator used here is version 1 (skl2onnx declares the highest version it uses)
IR_VERSION = 8  # ONNX IR of opset 17


# ---------------------------------------------------------------------------------------------------------------
# ONNX graph pieces, as skl2onnx writes them


def float_input(name, width):
    """FloatTensorType([None, width]): a dynamic batch dimension (no dim_value, no dim_param)."""
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, [None, width])


def zipmap_output(name, key_type):
    """SequenceType(DictionaryType(key, FloatTensorType([]))): seq(map(int64|string, float))."""
    value_info = onnx.ValueInfoProto(name=name)
    element = value_info.type.sequence_type.elem_type.map_type
    element.key_type = key_type
    element.value_type.tensor_type.elem_type = TensorProto.FLOAT
    return value_info


def zipmapped_classifier_graph(nodes, name, width, classes):
    """The end of every skl2onnx classifier (its SklearnZipMap operator): `output_label` from the classifier's label
    (Cast to int64, or Identity for strings) and `output_probability`, the ZipMap of the probabilities with the class
    labels as keys."""
    strings = isinstance(classes[0], str)
    key = TensorProto.STRING if strings else TensorProto.INT64
    labels = {"classlabels_strings": classes} if strings else {"classlabels_int64s": classes}
    zipmap = helper.make_node(
        "ZipMap", ["probabilities"], ["output_probability"], name="ZipMap", domain="ai.onnx.ml", **labels
    )
    return helper.make_graph(
        nodes + [zipmap],
        name,
        [float_input("float_input", width)],
        [helper.make_tensor_value_info("output_label", key, [None]), zipmap_output("output_probability", key)],
    )


def save_model(graph, path):
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", TARGET_OPSET), helper.make_opsetid("ai.onnx.ml", ML_OPSET)],
        producer_name="edge-maas scripts/models/train-classic-models.py (skl2onnx's graph)",
        producer_version="1",
        domain="ai.onnx",
        model_version=0,
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    with open(path, "wb") as handle:
        handle.write(model.SerializeToString())


def f32(values):
    """Attribute floats exactly as skl2onnx stores them (float32)."""
    return [float(v) for v in np.asarray(values, dtype=np.float32).ravel()]


def logistic_regression_graph(pipeline, width):
    """Pipeline(StandardScaler, binary LogisticRegression) with int labels: Scaler, LinearClassifier, Cast, ZipMap."""
    scaler, classifier = pipeline.named_steps["scaler"], pipeline.named_steps["classifier"]
    classes = [int(c) for c in classifier.classes_]
    assert len(classes) == 2, "the graph below is skl2onnx's binary case"
    coefficients = classifier.coef_.flatten().astype(float).tolist()
    intercepts = classifier.intercept_.astype(float).tolist()
    # binary: skl2onnx writes the negated row first, so both class scores come out of one LinearClassifier
    coefficients = [-c for c in coefficients] + coefficients
    intercepts = [-i for i in intercepts] + intercepts
    nodes = [
        helper.make_node(
            "Scaler", ["float_input"], ["variable"], name="Scaler", domain="ai.onnx.ml",
            offset=f32(scaler.mean_), scale=f32(1.0 / scaler.scale_),
        ),
        helper.make_node(
            "LinearClassifier", ["variable"], ["label", "probabilities"], name="LinearClassifier",
            domain="ai.onnx.ml", classlabels_ints=classes, coefficients=f32(coefficients), intercepts=f32(intercepts),
            multi_class=0, post_transform="LOGISTIC",
        ),
        helper.make_node("Cast", ["label"], ["output_label"], name="Cast", to=TensorProto.INT64),
    ]
    return zipmapped_classifier_graph(nodes, "pipeline_logistic_regression", width, classes)


def sklearn_threshold(value):
    """common/tree_ensemble.py sklearn_threshold(BRANCH_LEQ, float32): scikit-learn compares (float)x <= threshold
    (a double), so the float32 threshold is the largest float32 w with (float)x <= threshold <=> (float)x <= w."""
    fy = np.float32(value)
    if fy == value or fy < value:
        return np.float64(fy)
    eps = max(abs(fy), np.finfo(np.float32).eps) * 10
    return np.float64(np.nextafter([fy], [fy - eps], dtype=np.float32)[0])


def random_forest_graph(forest, width):
    """RandomForestClassifier with string labels: TreeEnsembleClassifier, Identity, ZipMap."""
    classes = [str(c) for c in forest.classes_]
    attrs = {
        "post_transform": "NONE", "nodes_treeids": [], "nodes_nodeids": [], "nodes_featureids": [],
        "nodes_modes": [], "nodes_values": [], "nodes_truenodeids": [], "nodes_falsenodeids": [],
        "nodes_missing_value_tracks_true": [], "nodes_hitrates": [], "class_treeids": [], "class_nodeids": [],
        "class_ids": [], "class_weights": [],
    }
    tree_weight = 1.0 / len(forest.estimators_)
    for tree_id, estimator in enumerate(forest.estimators_):
        tree = estimator.tree_
        for node_id in range(tree.node_count):
            branch = tree.children_left[node_id] > node_id or tree.children_right[node_id] > node_id
            attrs["nodes_treeids"].append(tree_id)
            attrs["nodes_nodeids"].append(node_id)
            attrs["nodes_featureids"].append(int(tree.feature[node_id]) if branch else 0)
            attrs["nodes_modes"].append("BRANCH_LEQ" if branch else "LEAF")
            attrs["nodes_values"].append(sklearn_threshold(tree.threshold[node_id]) if branch else 0.0)
            attrs["nodes_truenodeids"].append(int(tree.children_left[node_id]) if branch else 0)
            attrs["nodes_falsenodeids"].append(int(tree.children_right[node_id]) if branch else 0)
            attrs["nodes_missing_value_tracks_true"].append(0)
            attrs["nodes_hitrates"].append(1.0)
            if branch:
                continue
            counts = tree.value[node_id].flatten()  # class counts at the leaf: normalized to probabilities
            total = float(sum(counts))
            factor = tree_weight / (total if total != 0.0 else 1.0)
            for class_id, count in enumerate(counts):
                attrs["class_treeids"].append(tree_id)
                attrs["class_nodeids"].append(node_id)
                attrs["class_ids"].append(class_id)
                attrs["class_weights"].append(count * factor)
    for key in ("nodes_values", "class_weights", "nodes_hitrates"):
        attrs[key] = f32(attrs[key])
    nodes = [
        helper.make_node(
            "TreeEnsembleClassifier", ["float_input"], ["label", "probabilities"], name="TreeEnsembleClassifier",
            domain="ai.onnx.ml", classlabels_strings=classes, **attrs,
        ),
        helper.make_node("Identity", ["label"], ["output_label"], name="Identity"),
    ]
    return zipmapped_classifier_graph(nodes, "random_forest_classifier", width, classes)


def linear_regression_graph(regressor, columns):
    """LinearRegression exported from a DataFrame: one [None, 1] input per column, Concat(axis=1), LinearRegressor."""
    nodes = [
        helper.make_node("Concat", list(columns), ["merged_input"], name="Concat", axis=1),
        helper.make_node(
            "LinearRegressor", ["merged_input"], ["variable"], name="LinearRegressor", domain="ai.onnx.ml",
            coefficients=f32(regressor.coef_), intercepts=f32([regressor.intercept_]),
        ),
    ]
    return helper.make_graph(
        nodes,
        "linear_regression",
        [float_input(column, 1) for column in columns],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])],
    )


# ---------------------------------------------------------------------------------------------------------------
# Data, scores and the files the tests read


def exact(value):
    """A float32 as the shortest decimal that reads back as the same float32."""
    return float(np.format_float_positional(np.float32(value), unique=True, trim="-"))


def feature_ranges(names, train):
    return [{"name": n, "min": exact(lo), "max": exact(hi)} for n, lo, hi in zip(names, train.min(0), train.max(0))]


def classification_scores(truth, predicted, classes):
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=classes, zero_division=0)
    return {
        "n": len(truth),
        "accuracy": accuracy_score(truth, predicted),
        "macroF1": float(np.mean(f1)),
        "perClass": {
            str(c): {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for c, p, r, f, s in zip(classes, precision, recall, f1, support)
        },
    }


def write_json(path, value):
    with open(path, "w") as handle:
        json.dump(value, handle, indent=1 if path.endswith("metrics.json") else None)
        handle.write("\n")


def write_outputs(name, graph, metrics, rows):
    save_model(graph, os.path.join(WEIGHTS, f"{name}.onnx"))
    write_json(os.path.join(WEIGHTS, f"{name}.metrics.json"), metrics)
    write_json(os.path.join(HELD_OUT, f"{name}.json"), rows)
    print(f"{name}: {json.dumps(metrics['sklearn'])[:200]}")


def split(data, target, stratify):
    return train_test_split(
        data.astype(np.float32), target, test_size=0.25, random_state=SEED, stratify=target if stratify else None
    )


def common_metrics(dataset, names, train, held):
    return {
        "seed": SEED,
        "dataset": dataset,
        "scikitLearn": sklearn.__version__,
        "onnx": onnx.__version__,
        "split": "train_test_split(test_size=0.25, random_state=seed), float32 features",
        "train": len(train),
        "heldOut": len(held),
        "featureRanges": feature_ranges(names, train),
    }


def check_margins(probabilities, what):
    """Labels must not hinge on float32 rounding: the two best classes of each held-out row differ by 1e-4 or more."""
    top = np.sort(probabilities, axis=1)[:, -2:]
    closest = float(np.min(top[:, 1] - top[:, 0]))
    assert closest >= 1e-4, f"{what}: a held-out row's two best classes are {closest} apart; pick another seed"


def train_classifier(name, dataset, names, data, target, estimator, graph, true_label, extra):
    """Fits on the training rows, then writes the graph, scikit-learn's scores and its held-out predictions."""
    x_train, x_held, y_train, y_held = split(data, target, stratify=True)
    estimator.fit(x_train, y_train)
    predicted = estimator.predict(x_held)
    probabilities = estimator.predict_proba(x_held)
    check_margins(probabilities, name)
    label = int if np.issubdtype(estimator.classes_.dtype, np.integer) else str
    classes = [label(c) for c in estimator.classes_]
    metrics = common_metrics(dataset, names, x_train, x_held)
    metrics["classes"] = classes
    metrics.update(extra)
    metrics["sklearn"] = classification_scores(y_held, predicted, classes)
    rows = [
        {
            "features": [exact(v) for v in x],
            "label": true_label(t),
            "sklearn": {"label": label(p), "probabilities": [float(v) for v in prob]},
        }
        for x, t, p, prob in zip(x_held, y_held, predicted, probabilities)
    ]
    write_outputs(name, graph(estimator, len(names)), metrics, rows)


def breast_cancer():
    data = load_breast_cancer()
    train_classifier(
        "breast-cancer-logreg", "breast_cancer", [n.replace(" ", "_") for n in data.feature_names], data.data,
        data.target, Pipeline([("scaler", StandardScaler()), ("classifier", LogisticRegression(max_iter=1000))]),
        logistic_regression_graph, lambda t: str(data.target_names[t]), {"classNames": list(data.target_names)},
    )


def iris():
    data = load_iris()
    forest = RandomForestClassifier(n_estimators=50, max_depth=6, random_state=SEED)
    train_classifier(
        "iris-forest", "iris", [n.replace(" (cm)", "").replace(" ", "_") for n in data.feature_names], data.data,
        np.array([str(data.target_names[t]) for t in data.target]), forest, random_forest_graph, str,
        {"trees": forest.n_estimators},
    )


def diabetes():
    data = load_diabetes()
    names = list(data.feature_names)
    x_train, x_held, y_train, y_held = split(data.data, data.target, stratify=False)
    regressor = LinearRegression().fit(x_train, y_train)
    predicted = regressor.predict(x_held)
    metrics = common_metrics("diabetes", names, x_train, x_held)
    metrics["sklearn"] = {
        "n": len(y_held),
        "mae": mean_absolute_error(y_held, predicted),
        "rmse": float(np.sqrt(mean_squared_error(y_held, predicted))),
        "r2": r2_score(y_held, predicted),
    }
    rows = [
        {"features": [exact(v) for v in x], "value": float(t), "sklearn": {"value": float(p)}}
        for x, t, p in zip(x_held, y_held, predicted)
    ]
    write_outputs("diabetes-linear", linear_regression_graph(regressor, names), metrics, rows)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(f"usage: {sys.argv[0]} (no arguments; writes models/weights/ and test/data/tabular/)")
    os.makedirs(HELD_OUT, exist_ok=True)
    breast_cancer()
    iris()
    diabetes()
