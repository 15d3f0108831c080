# Installs Python and Creditdesk for the desktop workbook Creditdesk.xlsm (Windows), in one
# command (PowerShell or Command Prompt), without administrator rights:
#
#   powershell -ExecutionPolicy ByPass -c "irm https://YOUR-SERVER/install-creditdesk.ps1 | iex"
#
# It installs uv (Astral's Python installer) if missing, a private Python 3.12 and a virtual
# environment in %USERPROFILE%\.creditdesk\venv (where Creditdesk.xlsm's xlwings.conf sheet
# looks for pythonw.exe), and Creditdesk with xlwings into it. Run it again to upgrade, then
# click Restart Python in the workbook. Your administrator sets $Wheel below (or
# CREDITDESK_WHEEL) to where the Creditdesk wheel is published.
$ErrorActionPreference = "Stop"
$Wheel = $env:CREDITDESK_WHEEL
if (-not $Wheel) { $Wheel = "https://YOUR-SERVER/creditdesk-0.1.0-py3-none-any.whl" }
$Venv = Join-Path $env:USERPROFILE ".creditdesk\venv"
$Uv = Join-Path $env:USERPROFILE ".local\bin\uv.exe"
if (-not (Test-Path $Uv)) {
    Write-Host "Installing uv (it installs Python)..."
    Invoke-RestMethod https://astral.sh/uv/install.ps1 | Invoke-Expression
}
if (-not (Test-Path (Join-Path $Venv "Scripts\python.exe"))) {
    Write-Host "Installing Python 3.12 into $Venv..."
    & $Uv venv --python 3.12 $Venv
    if ($LASTEXITCODE -ne 0) { throw "could not make $Venv" }
}
Write-Host "Installing Creditdesk from $Wheel..."
& $Uv pip install --python (Join-Path $Venv "Scripts\python.exe") --reinstall-package creditdesk "creditdesk[addin] @ $Wheel"
if ($LASTEXITCODE -ne 0) { throw "could not install Creditdesk" }
Write-Host ""
Write-Host "Creditdesk is installed. Open Creditdesk.xlsm and click Refresh on its Start sheet."
Write-Host "(After an upgrade: click Restart Python in the workbook first.)"
