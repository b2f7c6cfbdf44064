"""Image loaders on PNG/JPEG files written here with Pillow, and their errors."""

import numpy as np
import pytest
from PIL import Image

from scratchdl.data import load_image, load_image_folder

RNG = np.random.default_rng(0)


def _save(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)
    return array


@pytest.fixture()
def folder(tmp_path):
    """root/cat (3 PNGs, one in a nested folder), root/dog (2 PNGs), a text file and a hidden folder."""
    root = tmp_path / "pets"
    images = {}
    for name in ["cat/b.png", "cat/a.PNG", "cat/more/c.png", "dog/x.png", "dog/y.png"]:
        images[name] = _save(root / name, RNG.integers(0, 256, (6, 5, 3), dtype=np.uint8))
    (root / "dog" / "notes.txt").write_text("not an image")
    _save(root / ".hidden" / "z.png", np.zeros((6, 5, 3), dtype=np.uint8))
    return root, images


def test_folder_without_resizing(folder):
    root, images = folder
    x, y, classes = load_image_folder(root, image_size=None)
    assert classes == ["cat", "dog"]
    assert x.dtype == np.uint8 and x.shape == (5, 6, 5, 3)
    assert y.dtype == np.int64 and y.tolist() == [0, 0, 0, 1, 1]
    order = ["cat/a.PNG", "cat/b.png", "cat/more/c.png", "dog/x.png", "dog/y.png"]  # sorted paths per class
    np.testing.assert_array_equal(x, np.stack([images[name] for name in order]))


def test_folder_resized_and_converted(folder):
    root, images = folder
    x, y, _ = load_image_folder(root, image_size=(4, 7), color_mode="grayscale")
    assert x.shape == (5, 4, 7, 1)
    expected = np.asarray(Image.fromarray(images["cat/a.PNG"]).convert("L").resize((7, 4), Image.Resampling.BILINEAR))
    np.testing.assert_array_equal(x[0, :, :, 0], expected)
    rgba, _, _ = load_image_folder(root, image_size=(3, 3), color_mode="rgba", interpolation="nearest")
    assert rgba.shape == (5, 3, 3, 4) and np.all(rgba[..., 3] == 255)


def test_class_names_pick_and_order(folder):
    root, _ = folder
    x, y, classes = load_image_folder(root, image_size=(2, 2), class_names=["dog", "cat"])
    assert classes == ["dog", "cat"] and y.tolist() == [0, 0, 1, 1, 1]
    x, y, classes = load_image_folder(root, image_size=(2, 2), class_names=["dog"])
    assert classes == ["dog"] and x.shape[0] == 2


def test_jpeg_and_single_image(tmp_path):
    array = np.full((10, 12, 3), 200, dtype=np.uint8)
    Image.fromarray(array).save(tmp_path / "photo.jpg", quality=95)
    image = load_image(tmp_path / "photo.jpg")
    assert image.shape == (10, 12, 3) and image.dtype == np.uint8
    assert np.abs(image.astype(int) - 200).max() <= 2  # JPEG is lossy
    assert load_image(tmp_path / "photo.jpg", target_size=(5, 4)).shape == (5, 4, 3)
    assert load_image(tmp_path / "photo.jpg", color_mode="grayscale").shape == (10, 12, 1)
    Image.fromarray(np.zeros((3, 3), dtype=np.uint8)).save(tmp_path / "gray.png")
    assert load_image(tmp_path / "gray.png").shape == (3, 3, 3)  # grayscale file read as RGB


# ---------------------------------------------------------------- errors


def test_missing_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"load_image: no such file: '.*absent\.png'"):
        load_image(tmp_path / "absent.png")
    with pytest.raises(FileNotFoundError, match=r"load_image_folder: no such directory: '.*nowhere'"):
        load_image_folder(tmp_path / "nowhere")
    (tmp_path / "file.png").write_bytes(b"x")
    with pytest.raises(NotADirectoryError, match=r"load_image_folder: expected a directory, got the file '.*file\.png'"):
        load_image_folder(tmp_path / "file.png")


def test_not_an_image(tmp_path):
    (tmp_path / "c" ).mkdir()
    (tmp_path / "c" / "fake.png").write_text("not a png")
    with pytest.raises(ValueError, match=r"load_image: cannot read image '.*fake\.png'"):
        load_image(tmp_path / "c" / "fake.png")
    with pytest.raises(ValueError, match=r"load_image_folder: cannot read image '.*fake\.png'"):
        load_image_folder(tmp_path)


def test_folder_layout_errors(tmp_path, folder):
    with pytest.raises(ValueError, match=r"load_image_folder: '.*' has no class sub-folders"):
        load_image_folder(tmp_path / "pets" / "dog")
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"load_image_folder: no images \(.*\) in the class folders of '.*empty' \(a\)"):
        load_image_folder(tmp_path / "empty")
    root, _ = folder
    with pytest.raises(ValueError, match=r"load_image_folder: '.*pets' has no sub-folder 'bird' \(sub-folders: cat, dog\)"):
        load_image_folder(root, class_names=["cat", "bird"])


def test_sizes_differ_without_image_size(folder):
    root, _ = folder
    _save(root / "dog" / "z_big.png", np.zeros((8, 9, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"'.*z_big\.png' is 9x8 but '.*a\.PNG' is 5x6; pass image_size=\(height, width\)"):
        load_image_folder(root, image_size=None)
    assert load_image_folder(root, image_size=(8, 8))[0].shape == (6, 8, 8, 3)


def test_bad_options(folder):
    root, _ = folder
    with pytest.raises(ValueError, match="load_image_folder: color_mode must be one of grayscale, rgb, rgba, got 'cmyk'"):
        load_image_folder(root, color_mode="cmyk")
    with pytest.raises(ValueError, match="load_image_folder: interpolation must be one of"):
        load_image_folder(root, interpolation="cubic")
    with pytest.raises(ValueError, match=r"load_image_folder: image_size must be \(height, width\), got 64"):
        load_image_folder(root, image_size=64)
    with pytest.raises(ValueError, match=r"load_image: target_size must be positive, got \(0, 3\)"):
        load_image(root / "dog" / "x.png", target_size=(0, 3))
