<#
.SYNOPSIS
Redis from Debian's own redis-server package, as an OSv unikernel answering on 127.0.0.1:<Port>.

.DESCRIPTION
Needs `apt-get install redis-server` and the built module (`dotnet pwsh ./build.ps1 build`).
What the unikernel needs, and why:
  --save ""            no snapshots: Redis writes them from a forked child, and OSv has no fork()
                       (one address space; the guest's file system is read-only anyway).
  --protected-mode no  the host's connections reach the guest from QEMU's user network
                       (192.168.122.1), not from loopback, so protected mode would refuse them.
                       The guest is reachable only through the forward.
  --bind 0.0.0.0       IPv4 only: OSv has no IPv6 sockets (Redis's default '* -::*' logs errno 97).
With -Timeout the script waits, streaming the console, and stops the guest after that long;
without it the server runs in the background: Stop-OsvInstance redis ends it.
#>
param(
    [int] $Port = 16379,
    [string] $Name = 'redis',
    [string] $Project = (Join-Path ([IO.Path]::GetTempPath()) 'osvps-examples/redis'),
    [ValidateSet('Auto', 'Disk', 'Kernel')] [string] $BootMode = 'Auto',
    [object] $Timeout
)
$ErrorActionPreference = 'Stop'
if (-not (Get-Module OsvPS)) { Import-Module (Join-Path $PSScriptRoot '../out/OsvPS') }
$wait = if ($Timeout) { @{ Wait = $true; Timeout = $Timeout } } else { @{} }

New-OsvProject $Project -BootCommand '/usr/bin/redis-server --save "" --protected-mode no --bind 0.0.0.0' -Force | Out-Null
Add-OsvDebianPackage redis-server -Project $Project | Out-Null
Get-OsvInstance $Name -ErrorAction Ignore | Where-Object State -ne Running | Remove-OsvInstance
Build-OsvImage $Project -PullMissing | Start-OsvInstance -Name $Name -BootMode $BootMode -Forward "${Port}:6379" @wait
