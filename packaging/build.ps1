# Build the Windows bundle of Video Studio (one folder + a .zip of it).
#
#   powershell -ExecutionPolicy Bypass -File packaging\build.ps1
#
# UNTESTED: this project's machines run Linux only; this script mirrors packaging/build.sh and
# has never been run. Expect to adjust it on the first Windows build (see
# docs/notes/packaging.md, "Windows and macOS"). Differences from Linux worth knowing:
# * the spec builds a console executable: the GUI then opens with a console window beside it;
#   a second, windowed EXE (console=False) for the desktop studio is the usual fix;
# * PyAV's and PySide6's wheels carry their own DLLs; no system libraries are needed;
# * packaging/strip_bundle.py and packaging/check_bundle.py are Linux-only (ELF) and are not run.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
$Root = Get-Location
$Venv = if ($env:VIDEOSTUDIO_BUILD_VENV) { $env:VIDEOSTUDIO_BUILD_VENV } else { "build\venv" }
$Python = Join-Path $Venv "Scripts\python.exe"

if (-not (Test-Path $Python)) {
    py -3.11 -m venv $Venv
    & $Python -m pip install --quiet --upgrade pip
    $extra = if ($env:EXTRA_PACKAGES) { $env:EXTRA_PACKAGES -split " " } else { @() }
    & $Python -m pip install --quiet -e ".[packaging]" @extra
    if ($LASTEXITCODE -ne 0) { throw "pip install failed" }
}

& $Python -m PyInstaller --noconfirm --log-level WARN `
    --distpath build\dist --workpath build\pyinstaller packaging\videostudio.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

$Bundle = Join-Path $Root "build\dist\videostudio"
& $Python packaging\notices.py $Bundle build\pyinstaller\videostudio\bundled-top-level.txt
if ($LASTEXITCODE -ne 0) { throw "notices failed" }
Copy-Item packaging\linux\icons\videostudio-256.png (Join-Path $Bundle "videostudio.png")

$Version = & $Python -c "import pipeline; print(pipeline.__version__)"
$Zip = Join-Path $Root "build\videostudio-$Version-windows-x64.zip"
Compress-Archive -Path $Bundle -DestinationPath $Zip -Force
Write-Host "bundle: $Bundle"
Write-Host "archive: $Zip"
