<#
.SYNOPSIS
nginx from Debian's own nginx-light package, as an OSv unikernel serving Debian's welcome page on 127.0.0.1:<Port>.

.DESCRIPTION
Needs `apt-get install nginx-light` and the built module (`dotnet pwsh ./build.ps1 build`).
nginx-light brings nginx, nginx-common (mime.types, the welcome page) and its echo module, all in
Debian's section httpd, so they come along. Debian's /etc/nginx/nginx.conf is carried as it is;
the unikernel gets a configuration of its own, /etc/nginx/osv.conf, because:
  daemon off; master_process off;   nginx would fork a daemon and worker processes; OSv has no
                                    fork(), so one process serves (and stays in the foreground).
  -e stderr, error_log stderr       the log goes to the console; /var/log is read-only in the image.
  pid and *_temp_path under /tmp    the image's file system is read-only; /tmp is writable memory.
  no 'user' directive               one process and no users to switch to (Debian's conf says www-data).
With -Timeout the script waits, streaming the console, and stops the guest after that long;
without it the server runs in the background: Stop-OsvInstance nginx ends it.
#>
param(
    [int] $Port = 18080,
    [string] $Name = 'nginx',
    [string] $Project = (Join-Path ([IO.Path]::GetTempPath()) 'osvps-examples/nginx'),
    [ValidateSet('Auto', 'Disk', 'Kernel')] [string] $BootMode = 'Auto',
    [object] $Timeout
)
$ErrorActionPreference = 'Stop'
if (-not (Get-Module OsvPS)) { Import-Module (Join-Path $PSScriptRoot '../out/OsvPS') }
$wait = if ($Timeout) { @{ Wait = $true; Timeout = $Timeout } } else { @{} }

New-OsvProject $Project -BootCommand '/usr/sbin/nginx -e stderr -c /etc/nginx/osv.conf' -Force | Out-Null
Add-OsvDebianPackage nginx-light -Project $Project | Out-Null
Set-Content -LiteralPath (Join-Path $Project 'etc/nginx/osv.conf') -Value @'
daemon off;
master_process off;
worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr notice;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path /tmp/client_body;
    proxy_temp_path /tmp/proxy;
    fastcgi_temp_path /tmp/fastcgi;
    uwsgi_temp_path /tmp/uwsgi;
    scgi_temp_path /tmp/scgi;
    server { listen 80; root /usr/share/nginx/html; }
}
'@
Get-OsvInstance $Name -ErrorAction Ignore | Where-Object State -ne Running | Remove-OsvInstance
Build-OsvImage $Project -PullMissing | Start-OsvInstance -Name $Name -BootMode $BootMode -Forward "${Port}:80" @wait
