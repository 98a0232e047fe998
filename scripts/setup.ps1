# Find a Python 3.9+ and run scripts\setup_env.py with it (all arguments are passed on).
#
#   powershell -ExecutionPolicy Bypass -File scripts\setup.ps1
#
# Order: conda's base Python (when conda is installed), then the "py -3" launcher, then
# python3 and python. The Microsoft Store placeholder (WindowsApps\python.exe), which only
# opens the Store, is skipped.
$ErrorActionPreference = "Stop"
$setup = Join-Path $PSScriptRoot "setup_env.py"

function Test-Python([string[]] $Command) {
    try {
        $exe, $rest = $Command
        & $exe @rest -c "import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)" 2>$null
        return $LASTEXITCODE -eq 0
    } catch {
        return $false
    }
}

$candidates = @()
if ($env:CONDA_EXE) {
    # conda.exe lives in <base>\Scripts; its Python in <base>
    $base = Split-Path (Split-Path $env:CONDA_EXE -Parent) -Parent
    $candidates += , @(Join-Path $base "python.exe")
}
if (Get-Command py -ErrorAction SilentlyContinue) { $candidates += , @("py", "-3") }
foreach ($name in @("python3", "python")) {
    $found = Get-Command $name -ErrorAction SilentlyContinue
    if ($found -and $found.Source -notlike "*\WindowsApps\*") { $candidates += , @($found.Source) }
}

foreach ($candidate in $candidates) {
    if (Test-Python $candidate) {
        $exe, $rest = $candidate
        & $exe @rest $setup @args
        $code = $LASTEXITCODE
        if ($code -eq 0 -and (Get-ExecutionPolicy -Scope CurrentUser) -in @("Restricted", "AllSigned", "Undefined")) {
            Write-Host ""
            Write-Host "To use 'conda activate' in PowerShell, allow local scripts once:"
            Write-Host "  Set-ExecutionPolicy -Scope CurrentUser RemoteSigned"
            Write-Host "  conda init powershell     (then open a new PowerShell window)"
        }
        exit $code
    }
}

Write-Host "setup.ps1: no Python 3.9 or newer found."
Write-Host "  Install Miniforge (https://github.com/conda-forge/miniforge#install), open the"
Write-Host "  'Miniforge Prompt' or a new PowerShell window, and run this again."
exit 1
