<#
.SYNOPSIS
memcached from Debian's own memcached package, as an OSv unikernel answering on 127.0.0.1:<Port>.

.DESCRIPTION
Needs `apt-get install memcached` and the built module (`dotnet pwsh ./build.ps1 build`).
What the unikernel needs, and why:
  -u root         OSv runs everything as uid 0, and memcached refuses to run as root unless told
                  which user to be; there is no other user to switch to.
  -l 0.0.0.0      IPv4 only: OSv has no IPv6 sockets. The guest is reachable only through the forward.
  -p 11211 -U 0   TCP on memcached's port, UDP off (QEMU forwards the TCP port only).
The package's Depends (perl for memcached-tool, adduser, ...) are in other Debian sections and
stay out; the libraries memcached needs (libevent, libsasl2) come with its ELF file.
With -Timeout the script waits, streaming the console, and stops the guest after that long;
without it the server runs in the background: Stop-OsvInstance memcached ends it.
#>
param(
    [int] $Port = 21211,
    [string] $Name = 'memcached',
    [string] $Project = (Join-Path ([IO.Path]::GetTempPath()) 'osvps-examples/memcached'),
    [ValidateSet('Auto', 'Disk', 'Kernel')] [string] $BootMode = 'Auto',
    [object] $Timeout
)
$ErrorActionPreference = 'Stop'
if (-not (Get-Module OsvPS)) { Import-Module (Join-Path $PSScriptRoot '../out/OsvPS') }
$wait = if ($Timeout) { @{ Wait = $true; Timeout = $Timeout } } else { @{} }

New-OsvProject $Project -BootCommand '/usr/bin/memcached -u root -l 0.0.0.0 -p 11211 -U 0 -v' -Force | Out-Null
Add-OsvDebianPackage memcached -Project $Project | Out-Null
Get-OsvInstance $Name -ErrorAction Ignore | Where-Object State -ne Running | Remove-OsvInstance
Build-OsvImage $Project -PullMissing | Start-OsvInstance -Name $Name -BootMode $BootMode -Forward "${Port}:11211" @wait
