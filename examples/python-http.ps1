<#
.SYNOPSIS
Python's http.server from Debian's own python3 package, as an OSv unikernel serving a folder on 127.0.0.1:<Port>.

.DESCRIPTION
Needs `apt-get install python3` and the built module (`dotnet pwsh ./build.ps1 build`).
python3 brings, through its Depends in Debian's section python, python3.11 and its standard
library (libpython3.11-minimal, libpython3.11-stdlib): /usr/lib/python3.11 with its extension
modules, whose libraries (libssl, libsqlite3, libffi, ...) come with them. Nothing is copied by hand.
  -m http.server 8000 --bind 0.0.0.0   IPv4: OSv has no IPv6 sockets. The guest is reachable only
                                       through the forward.
  --directory /srv/www                 the folder served, put into the project beside the packages.
Python finds its library from where /usr/bin/python3 is, as on Debian; no PYTHONHOME is needed.
It cannot write __pycache__ into the read-only image, so modules are compiled as they are imported.
With -Timeout the script waits, streaming the console, and stops the guest after that long;
without it the server runs in the background: Stop-OsvInstance python-http ends it.
#>
param(
    [int] $Port = 18000,
    [string] $Name = 'python-http',
    [string] $Project = (Join-Path ([IO.Path]::GetTempPath()) 'osvps-examples/python-http'),
    [ValidateSet('Auto', 'Disk', 'Kernel')] [string] $BootMode = 'Auto',
    [object] $Timeout
)
$ErrorActionPreference = 'Stop'
if (-not (Get-Module OsvPS)) { Import-Module (Join-Path $PSScriptRoot '../out/OsvPS') }
$wait = if ($Timeout) { @{ Wait = $true; Timeout = $Timeout } } else { @{} }

New-OsvProject $Project -BootCommand '/usr/bin/python3 -m http.server 8000 --bind 0.0.0.0 --directory /srv/www' -Force | Out-Null
Add-OsvDebianPackage python3 -Project $Project | Out-Null
New-Item -ItemType Directory -Force (Join-Path $Project 'srv/www') | Out-Null
Set-Content -LiteralPath (Join-Path $Project 'srv/www/index.html') -Value '<h1>Python http.server on OSv</h1>'
Get-OsvInstance $Name -ErrorAction Ignore | Where-Object State -ne Running | Remove-OsvInstance
Build-OsvImage $Project -PullMissing | Start-OsvInstance -Name $Name -BootMode $BootMode -Forward "${Port}:8000" @wait
