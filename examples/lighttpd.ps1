<#
.SYNOPSIS
lighttpd from Debian's own lighttpd package, as an OSv unikernel serving a page on 127.0.0.1:<Port>.

.DESCRIPTION
Needs `apt-get install lighttpd` and the built module (`dotnet pwsh ./build.ps1 build`).
The package's modules (/usr/lib/lighttpd/mod_*.so) come along at their own paths, where lighttpd
loads them from; Debian's lighttpd.conf builds its MIME table with a Perl script (include_shell),
which a unikernel cannot run, so the guest gets a configuration of its own, /etc/lighttpd/osv.conf:
  -D                           stay in the foreground: lighttpd would fork a daemon, and OSv has no fork().
  no server.errorlog           the log goes to the console (stderr). OSv's /dev has no 'stderr' node:
                               with 'server.errorlog = "/dev/stderr"' lighttpd prints "opening errorlog
                               '/dev/stderr' failed: Invalid argument ... Going down." and exits.
  server.upload-dirs ("/tmp")  the image's file system is read-only; /tmp is writable memory.
  server.bind "0.0.0.0"        IPv4: OSv has no IPv6 sockets. The guest is reachable only through the forward.
  mod_status                   a module loaded from the package (/server-status answers through it).
With -Timeout the script waits, streaming the console, and stops the guest after that long;
without it the server runs in the background: Stop-OsvInstance lighttpd ends it.
#>
param(
    [int] $Port = 18081,
    [string] $Name = 'lighttpd',
    [string] $Project = (Join-Path ([IO.Path]::GetTempPath()) 'osvps-examples/lighttpd'),
    [ValidateSet('Auto', 'Disk', 'Kernel')] [string] $BootMode = 'Auto',
    [object] $Timeout
)
$ErrorActionPreference = 'Stop'
if (-not (Get-Module OsvPS)) { Import-Module (Join-Path $PSScriptRoot '../out/OsvPS') }
$wait = if ($Timeout) { @{ Wait = $true; Timeout = $Timeout } } else { @{} }

New-OsvProject $Project -BootCommand '/usr/sbin/lighttpd -D -f /etc/lighttpd/osv.conf' -Force | Out-Null
Add-OsvDebianPackage lighttpd -Project $Project | Out-Null
New-Item -ItemType Directory -Force (Join-Path $Project 'srv/www') | Out-Null
Set-Content -LiteralPath (Join-Path $Project 'srv/www/index.html') -Value '<h1>lighttpd on OSv</h1>'
Set-Content -LiteralPath (Join-Path $Project 'etc/lighttpd/osv.conf') -Value @'
server.document-root = "/srv/www"
server.port = 80
server.bind = "0.0.0.0"
server.upload-dirs = ( "/tmp" )
server.modules = ( "mod_status" )
status.status-url = "/server-status"
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html; charset=utf-8" )
'@
Get-OsvInstance $Name -ErrorAction Ignore | Where-Object State -ne Running | Remove-OsvInstance
Build-OsvImage $Project -PullMissing | Start-OsvInstance -Name $Name -BootMode $BootMode -Forward "${Port}:80" @wait
