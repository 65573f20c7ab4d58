# lit configuration of the retnet-mlir regression tests.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "RETNET"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.retnet_obj_root, "test")
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.retnet_tools_dir, append_path=True)

tool_dirs = [config.retnet_tools_dir, config.llvm_tools_dir]
tools = ["retnet-opt", "retnet-compile", "retnet-run", "retnet-weights",
         "retnet-quantize",
         "retnet-convert", "retnet-tokenize", "retnet-serve", "npy-compare"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# %cc: the C compiler of programs that link model libraries; in a sanitized
# build (RETNET_SANITIZE) the one of the build, with its sanitizers.
if config.retnet_sanitize:
    config.substitutions.append(
        ("%cc", "%s -fsanitize=%s" % (config.host_cc, config.retnet_sanitize)))
    config.available_features.add("sanitizer")
else:
    config.substitutions.append(("%cc", "cc"))

# The integration test programs, for the GPU execution tests.
config.substitutions.append(
    ("%retention-kernel-test",
     os.path.join(config.retnet_obj_root, "test", "Integration",
                  "retention-kernel-test")))
config.substitutions.append(
    ("%model-test", os.path.join(config.retnet_tools_dir, "model-test")))
config.substitutions.append(
    ("%fake-cuda-dir",
     os.path.join(config.retnet_obj_root, "test", "Runtime", "fake-cuda")))
config.substitutions.append(
    ("%retnet-compile-path", os.path.join(config.retnet_tools_dir, "retnet-compile")))
config.substitutions.append(
    ("%retnet-weights-path", os.path.join(config.retnet_tools_dir, "retnet-weights")))

# 'torch', 'omegaconf' and 'regex' where the Python of the tests imports them
# (the Debian packages python3-torch, python3-omegaconf and python3-regex):
# the tests that save PyTorch checkpoints or compare with the PyTorch model
# need the first two, the reference of the tokenizer.json test the last.
import shutil
import subprocess
import sys

for module in ("torch", "omegaconf", "regex"):
    try:
        if subprocess.run([sys.executable, "-c", "import " + module],
                          capture_output=True, timeout=120).returncode == 0:
            config.available_features.add(module)
    except (OSError, subprocess.TimeoutExpired):
        pass

# 'sentencepiece' where SentencePiece's tools are installed (the Debian
# package sentencepiece): the text tests train a tokenizer with spm_train and
# check ours against spm_encode and spm_decode.
if all(shutil.which(tool) for tool in ("spm_train", "spm_encode", "spm_decode")):
    config.available_features.add("sentencepiece")

# CUDA: 'ptxas' where the CUDA toolkit's assembler is found (cubin
# generation), 'cuda-device' where a CUDA device answers (GPU execution).
cuda_bin = "/usr/local/cuda/bin"
ptxas = shutil.which("ptxas") or (
    os.path.join(cuda_bin, "ptxas")
    if os.path.exists(os.path.join(cuda_bin, "ptxas"))
    else None
)
if ptxas:
    config.available_features.add("ptxas")
    llvm_config.with_environment("PATH", os.path.dirname(ptxas), append_path=True)
nvidia_smi = shutil.which("nvidia-smi")
if nvidia_smi:
    try:
        if subprocess.run([nvidia_smi, "-L"], capture_output=True, timeout=30).returncode == 0:
            config.available_features.add("cuda-device")
    except (OSError, subprocess.TimeoutExpired):
        pass
