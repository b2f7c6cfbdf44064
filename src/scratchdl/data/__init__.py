"""Data for scratchdl: loaders for local files, built-in data sets, generators and array helpers.

Nothing here downloads anything. Loaders take local paths and fail with one line naming the file
and what is wrong with it.

- Files: :func:`load_hdf5` / :func:`load_h5_dataset` (the course's ``.h5`` image sets),
  :func:`load_mat_dataset` (``.mat``), :func:`read_idx` (MNIST's idx format),
  :func:`load_image_folder` / :func:`load_image` (Pillow), :func:`load_csv`.
- Data sets: :func:`load_fashion_mnist` (also ``fashion_mnist.load_data()`` as in
  ``keras.datasets``), :func:`load_digits` (scikit-learn's bundled 8x8 digits).
- Generators: :func:`make_flower`, :func:`make_football`, :func:`make_circles`, :func:`make_moons`,
  :func:`make_blobs`, :func:`make_spirals`, :func:`make_xor`.
- Helpers: :func:`train_test_split`, :func:`train_dev_test_split`, :func:`standardize`,
  :func:`scale_images`, :func:`flatten_images`, :func:`one_hot`, :func:`minibatches`.
"""

from scratchdl.data import fashion_mnist
from scratchdl.data.csv_files import load_csv
from scratchdl.data.digits import digits_path, load_digits
from scratchdl.data.fashion_mnist import FASHION_MNIST_CLASSES, load_fashion_mnist
from scratchdl.data.hdf5 import find_xy_pairs, load_h5_dataset, load_hdf5, load_hdf5_splits
from scratchdl.data.idx import load_idx, read_idx, write_idx
from scratchdl.data.image_folder import IMAGE_EXTENSIONS, load_image, load_image_folder
from scratchdl.data.matlab import load_mat_arrays, load_mat_dataset
from scratchdl.data.preprocessing import (
    flatten_images, minibatches, one_hot, scale_images, standardize, train_dev_test_split, train_test_split,
)
from scratchdl.data.synthetic import (
    football_boundary, make_blobs, make_circles, make_flower, make_football, make_moons, make_spirals, make_xor,
)

__all__ = [
    # loaders
    "load_csv", "load_hdf5", "load_hdf5_splits", "load_h5_dataset", "find_xy_pairs", "read_idx", "write_idx",
    "load_idx", "load_image", "load_image_folder", "IMAGE_EXTENSIONS", "load_mat_arrays", "load_mat_dataset",
    # data sets
    "fashion_mnist", "load_fashion_mnist", "FASHION_MNIST_CLASSES", "load_digits", "digits_path",
    # generators
    "make_flower", "make_football", "football_boundary", "make_circles", "make_moons", "make_blobs",
    "make_spirals", "make_xor",
    # helpers
    "train_test_split", "train_dev_test_split", "standardize", "scale_images", "flatten_images", "one_hot",
    "minibatches",
]
