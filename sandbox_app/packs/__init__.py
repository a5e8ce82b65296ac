"""Scenario packs (`.citypack`): write one for trainees, verify it, and install it into the app's pack folder."""

from sandbox_app.packs.install import (
           InstalledPack,
           PackInfo,
           installed_packs,
           load_installed,
           open_pack,
    result_signing_key,
           verify_pack,
)
from sandbox_app.packs.keys import GradingKey, load_grading_key, remembered_grading_keys
from sandbox_app.packs.manifest import PACK_FORMAT, PACK_SUFFIX, SHOW_MODEL_ANSWER, PackSettings
from sandbox_app.packs.paths import data_dir, packs_dir
from sandbox_app.packs.write import WrittenPack, key_path_for, write_pack

__all__ = ["GradingKey", "InstalledPack", "PACK_FORMAT", "PACK_SUFFIX", "PackInfo", "PackSettings",
           "SHOW_MODEL_ANSWER", "WrittenPack", "data_dir", "installed_packs", "key_path_for", "load_grading_key",
           "load_installed", "open_pack", "packs_dir", "remembered_grading_keys", "result_signing_key", "verify_pack", "write_pack"]
