"""The solved population data cached on disk (sim.data.disk_cached_load): the same numbers as
solving the file, keyed by the file's content, and a run without a usable cache folder."""

import numpy as np

from sim.data import DATA_DIR, PopulationData, disk_cached_load, load_population_data


def _same(a: PopulationData, b: PopulationData) -> bool:
    for name in PopulationData.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray):
            if not (isinstance(y, np.ndarray) and x.dtype == y.dtype and np.array_equal(x, y)):
                return False
        elif type(x) is not type(y) or x != y:
            return False
    return True


def test_the_cache_returns_exactly_the_solved_data(tmp_path, monkeypatch):
    monkeypatch.setenv("MCSIM_CACHE_DIR", str(tmp_path))
    source = DATA_DIR / "malaysia_population.yaml"
    solved = load_population_data(path=source)
    first = disk_cached_load(source)                   # solves and stores
    assert len(list(tmp_path.glob("population-*.npz"))) == 1
    second = disk_cached_load(source)                  # read back
    assert _same(solved, first) and _same(solved, second)


def test_an_edited_file_is_solved_again(tmp_path, monkeypatch):
    monkeypatch.setenv("MCSIM_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "pop.yaml"
    text = (DATA_DIR / "malaysia_population.yaml").read_text()
    copy.write_text(text)
    disk_cached_load(copy)
    copy.write_text(text + "\n# an edit\n")
    disk_cached_load(copy)
    assert len(list((tmp_path / "cache").glob("population-*.npz"))) == 2


def test_a_corrupt_or_unwritable_cache_is_ignored(tmp_path, monkeypatch):
    source = DATA_DIR / "malaysia_population.yaml"
    solved = load_population_data(path=source)
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("MCSIM_CACHE_DIR", str(blocked / "sub"))
    assert _same(solved, disk_cached_load(source))
    monkeypatch.setenv("MCSIM_CACHE_DIR", str(tmp_path))
    disk_cached_load(source)
    for stored in tmp_path.glob("population-*.npz"):
        stored.write_bytes(b"garbage")
    assert _same(solved, disk_cached_load(source))
    monkeypatch.setenv("MCSIM_CACHE_DIR", "off")
    assert _same(solved, disk_cached_load(source))
