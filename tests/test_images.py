import io

import numpy as np
import pytest
from PIL import Image

from helpers import images


def _png_bytes(arr, mode=None):
    buf = io.BytesIO()
    Image.fromarray(arr, mode=mode).save(buf, format="PNG")
    return buf.getvalue()


def test_sample_photos_load_offline():
    for name in images.SAMPLE_PHOTOS:
        img = images.load_image(name, size=32)
        assert img.shape == (32, 32, 3) and img.dtype == np.float32 and 0 <= img.min() and img.max() <= 1


def test_grayscale_becomes_rgb_with_equal_channels(tmp_path):
    gray = (np.arange(64 * 64) % 256).reshape(64, 64).astype(np.uint8)
    (tmp_path / "g.png").write_bytes(_png_bytes(gray))
    img = images.load_image(tmp_path / "g.png")
    assert img.shape == (64, 64, 3)
    np.testing.assert_allclose(img[..., 0], gray / 255.0, atol=1e-6)
    np.testing.assert_array_equal(img[..., 0], img[..., 2])


def test_rgba_is_composited_on_white():
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    rgba[..., 0] = 255  # red...
    rgba[:4, :, 3] = 255  # ...opaque on the top half, transparent below
    img = images.load_image(_png_bytes(rgba))
    np.testing.assert_allclose(img[0, 0], [1, 0, 0], atol=1e-6)
    np.testing.assert_allclose(img[7, 0], [1, 1, 1], atol=1e-6)


def test_16_bit_is_rescaled():
    arr = np.full((4, 4), 65535, dtype=np.uint16)
    arr[0, 0] = 0
    img = images.load_image(_png_bytes(arr))
    assert img[1, 1, 0] == pytest.approx(1.0) and img[0, 0, 0] == 0.0


def test_huge_image_is_shrunk_with_a_warning():
    big = np.zeros((3000, 1000, 3), dtype=np.uint8)
    with pytest.warns(UserWarning, match="shrinking"):
        img = images.load_image(big)
    assert max(img.shape[:2]) == images.MAX_SIDE


def test_corrupt_file_gives_a_clear_error(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    with pytest.raises(images.ImageError, match="not a readable image"):
        images.load_image(bad)


def test_missing_file_and_wrong_types():
    with pytest.raises(images.ImageError, match="No image file"):
        images.load_image("/nope/cat.png")
    with pytest.raises(images.ImageError, match="shape"):
        images.load_image(np.zeros((4, 4, 5)))
    with pytest.raises(images.ImageError, match="NaN"):
        images.load_image(np.full((4, 4, 3), np.nan))
    with pytest.raises(images.ImageError, match="Cannot load"):
        images.load_image(42)


def test_url_errors_are_clear_and_bounded(monkeypatch):
    class Resp:
        headers = {"Content-Length": str(50 * 1024 * 1024)}

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

    seen = {}

    def fake_urlopen(url, timeout):
        seen["timeout"] = timeout
        return Resp()

    monkeypatch.setattr(images.urllib.request, "urlopen", fake_urlopen)
    with pytest.raises(images.ImageError, match="limit"):
        images.load_image("https://example.invalid/cat.jpg", timeout=2.5)
    assert seen["timeout"] == 2.5

    def offline(url, timeout):
        raise OSError("no route to host")

    monkeypatch.setattr(images.urllib.request, "urlopen", offline)
    with pytest.raises(images.ImageError, match="offline"):
        images.load_image("https://example.invalid/cat.jpg")


def test_normalize_map_constant_is_zero_not_nan():
    out = images.normalize_map(np.full((5, 5), 3.0))
    assert np.all(out == 0) and not np.isnan(out).any()
    np.testing.assert_allclose(images.normalize_map(np.array([1.0, 3.0, 2.0])), [0, 1, 0.5])


def test_resize_crop_keeps_aspect():
    img = np.zeros((20, 40, 3), dtype=np.float32)
    img[:, 10:30] = 1.0  # the centre square is white
    out = images.resize(img, 10, crop=True)
    assert out.shape == (10, 10, 3) and out.min() > 0.99


def test_url_that_drips_bytes_hits_the_total_deadline():
    """A local server sends one byte every 0.1 s of a 100 kB body: a per-read timeout alone would wait hours."""
    import http.server
    import threading
    import time

    class Drip(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(100000):
                    self.wfile.write(b"\x89")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:  # the client gave up
                pass

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        start = time.monotonic()
        with pytest.raises(images.ImageError, match="within 1 s"):
            images.load_image(f"http://127.0.0.1:{server.server_address[1]}/cat.png", timeout=1.0)
        assert time.monotonic() - start < 10.0  # the deadline held (the whole body would take 10 000 s)
    finally:
        server.shutdown()
        server.server_close()


def test_huge_image_is_shrunk_before_it_becomes_float(tmp_path):
    """A 6000x4000 PNG as float32 would take 288 MB; the decoder shrinks it in PIL first."""
    import tracemalloc

    w, h = 6000, 4000
    big = Image.new("RGB", (w, h), (200, 30, 30))
    big.paste((20, 40, 220), (0, 0, w // 2, h))  # left half blue, right half red
    path = tmp_path / "huge.png"
    big.save(path)
    del big
    tracemalloc.start()
    try:
        with pytest.warns(UserWarning, match="6000x4000 pixels; shrinking"):
            img = images.load_image(path, max_side=600)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert img.shape == (400, 600, 3)
    assert img[200, 100, 2] > 0.8 and img[200, 500, 0] > 0.7  # still the same picture
    assert peak < w * h * 3 / 8  # far below even the uint8 image (72 MB), let alone float32 (288 MB)
