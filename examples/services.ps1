<#
.SYNOPSIS
Three unikernels on one OsvPS network: nginx in front of a Python application that keeps a counter in
redis, answering through one forward; redis killed and started again; the application replaced under a
loop of requests; a replacement that never gets ready.

.DESCRIPTION
Needs root (the network is a bridge with taps and a dnsmasq: see about_OsvPS, "Networks"), the packages
redis-server, python3 and nginx-light, and the built module (dotnet pwsh ./build.ps1 build). Run it in a network
namespace of its own to keep the bridge off the host's network:

    ip netns add demo; ip -n demo link set lo up
    ip netns exec demo dotnet pwsh ./examples/services.ps1
    ip netns del demo

What it does, each step a line "step: what it saw":
  1. New-OsvNetwork back; three images: redis (redis-server), app (python3 with /srv/app.py, a
     ThreadingHTTPServer that INCRs a key in redis reached by its instance name, 'redis'), and proxy
     (nginx, its backend the instance name 'app', looked up through the network's dnsmasq by nginx's
     own resolver, answers kept a second).
  2. Starts the three on the network, each waited on until ready (-WaitReady); only the proxy has a
     forward the user asks (-Forward PORT:8080); the app has one for its readiness probe.
  3. Asks the proxy twice: the counter goes up.
  4. Stops redis: the application answers an error (503), through the proxy. Starts redis again under
     the same name: the answers come back (a new counter).
  5. Replaces the application with its v2 (Update-OsvInstance app -Drain 5) while a loop of requests runs against
     the proxy (until 3 s after the replace): the name 'app' moves to the replacement at the hand-over and nginx
     follows it (its answers are kept 1 s); the old one keeps its address 5 s more for the requests it took.
  6. Tries to replace it with v2 started wrongly (-CommandLine: it runs but listens on another port), with
     -Timeout 8: NotReady, and v2 serves on.
Writes "result: ..." lines a test can read, and removes everything it made (-Keep leaves it running).
#>
param(
    [string] $Folder = (Join-Path ([IO.Path]::GetTempPath()) 'osvps-examples/services'),
    [ValidateSet('Auto', 'Disk', 'Kernel')] [string] $BootMode = 'Kernel',
    [int] $Port = 18080,
    [int] $Seconds = 180,
    [switch] $Keep
)
$ErrorActionPreference = 'Stop'
if (-not (Get-Module OsvPS)) { Import-Module (Join-Path $PSScriptRoot '../out/OsvPS') }

# One GET through the proxy's forward: "200 body", "503 body", or "failed: why".
function Invoke-Proxy {
    try {
        $r = Invoke-WebRequest "http://127.0.0.1:$Port/" -TimeoutSec 10 -SkipHttpErrorCheck -UseBasicParsing
        "$($r.StatusCode) $("$($r.Content)".Trim())"
    }
    catch { "failed: $($_.Exception.Message)" }
}

# Asks until the answer matches $Pattern (the network's names and nginx's resolver take a moment), at most $Within seconds.
function Wait-Answer([string] $Pattern, [int] $Within = 60) {
    $deadline = [DateTime]::UtcNow.AddSeconds($Within)
    do {
        $answer = Invoke-Proxy
        if ($answer -match $Pattern) { return $answer }
        Start-Sleep -Milliseconds 300
    } while ([DateTime]::UtcNow -lt $deadline)
    $answer
}

New-Item -ItemType Directory -Force -Path $Folder | Out-Null
$net = New-OsvNetwork back
"network: $($net.Name) $($net.Subnet) gateway $($net.Gateway)"
try {
    # redis, as Debian ships it, listening on the network.
    $redis = Join-Path $Folder 'redis'
    New-OsvProject $redis -BootCommand '/usr/bin/redis-server --save "" --appendonly no --protected-mode no --bind 0.0.0.0' -Force | Out-Null
    Add-OsvDebianPackage redis-server -Project $redis -WarningAction SilentlyContinue | Out-Null
    $redisImage = Build-OsvImage $redis -WarningAction SilentlyContinue

    # The application: two versions of one Python file, each an image.
    $appSource = @'
import socket, sys, http.server
VERSION = sys.argv[1]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            with socket.create_connection(('redis', 6379), timeout=3) as s:
                s.sendall(b'INCR hits\r\n')
                reply = s.recv(64)
            body, code = '%s count=%d\n' % (VERSION, int(reply[1:].strip())), 200
        except Exception as e:
            body, code = '%s error: redis: %s\n' % (VERSION, e), 503
        data = body.encode()
        self.send_response(code)
        self.send_header('Content-Type', 'text/plain; charset=utf-8')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *args):
        pass
# Started as 'broken' it listens where nobody asks.
http.server.ThreadingHTTPServer(('0.0.0.0', 8001 if VERSION == 'broken' else 8000), Handler).serve_forever()
'@
    $appImages = @{}
    foreach ($version in 'v1', 'v2') {
        $app = Join-Path $Folder "app-$version"
        New-OsvProject $app -BootCommand "/usr/bin/python3 /srv/app.py $version" -Force | Out-Null
        New-Item -ItemType Directory -Force -Path (Join-Path $app 'srv') | Out-Null
        Set-Content -LiteralPath (Join-Path $app 'srv/app.py') -Value $appSource
        Add-OsvDebianPackage python3 -Project $app -WarningAction SilentlyContinue | Out-Null
        $appImages[$version] = Build-OsvImage $app -WarningAction SilentlyContinue
    }

    # nginx: the backend is the instance name 'app', looked up by nginx's own resolver through the network's dnsmasq
    # (answers kept 1 s), so a rolling replace that moves the name is followed; a failed attempt is tried once more.
    $proxy = Join-Path $Folder 'proxy'
    New-OsvProject $proxy -BootCommand '/usr/sbin/nginx -e stderr -c /etc/nginx/osv.conf' -Force | Out-Null
    Add-OsvDebianPackage nginx-light -Project $proxy -WarningAction SilentlyContinue | Out-Null
    Set-Content -LiteralPath (Join-Path $proxy 'etc/nginx/osv.conf') -Value @"
daemon off;
master_process off;
worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path /tmp/client_body;
    proxy_temp_path /tmp/proxy;
    fastcgi_temp_path /tmp/fastcgi;
    uwsgi_temp_path /tmp/uwsgi;
    scgi_temp_path /tmp/scgi;
    resolver $($net.Gateway) valid=1s ipv6=off;
    resolver_timeout 2s;
    server {
        listen 8080;
        location / {
            set `$app http://app:8000;
            proxy_pass `$app;
            proxy_connect_timeout 2s;
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 3;
        }
    }
}
"@
    $proxyImage = Build-OsvImage $proxy -WarningAction SilentlyContinue
    'images: built'

    $timeout = [TimeSpan]::FromSeconds($Seconds)
    $appPort = $Port + 1
    $started = [Diagnostics.Stopwatch]::StartNew()
    $r = Start-OsvInstance $redisImage -Name redis -Network back -BootMode $BootMode -WaitReady 'console:Ready to accept connections' -Timeout $timeout -WarningAction SilentlyContinue
    $a = Start-OsvInstance $appImages.v1 -Name app -Network back -BootMode $BootMode -Forward "${appPort}:8000" -WaitReady tcp:8000 -Timeout $timeout -WarningAction SilentlyContinue
    $p = Start-OsvInstance $proxyImage -Name proxy -Network back -BootMode $BootMode -Forward "${Port}:8080" -WaitReady "http://127.0.0.1:${Port}/" -Timeout $timeout -WarningAction SilentlyContinue
    "started: redis $(@($r.IPAddress)) app $(@($a.IPAddress)) proxy $(@($p.IPAddress)) in $([math]::Round($started.Elapsed.TotalSeconds, 1)) s"
    "result first: $(Wait-Answer '^200 v1 count=')"
    "result second: $(Invoke-Proxy)"

    Stop-OsvInstance redis -Force
    "result redis stopped: $(Wait-Answer '^503 ')"
    Start-OsvInstance $redisImage -Name redis -Network back -BootMode $BootMode -WaitReady 'console:Ready to accept connections' -Timeout $timeout -WarningAction SilentlyContinue | Out-Null
    "result redis again: $(Wait-Answer '^200 v1 count=')"

    # The loop: one request after the other, 50 ms between, each bounded, until 3 s after the replace (at most 600
    # requests or 180 s); a refused, cut or non-200 answer counts as failed. Each answer is written as it comes.
    $loop = Join-Path $Folder 'loop.txt'
    $done = Join-Path $Folder 'loop.done'
    Set-Content -LiteralPath $loop -Value @()
    Remove-Item -LiteralPath $done -ErrorAction Ignore
    $client = Start-ThreadJob -ArgumentList $Port, $loop, $done -ScriptBlock {
        param($port, $file, $done)
        $clock = [Diagnostics.Stopwatch]::StartNew()
        for ($i = 0; $i -lt 600 -and $clock.Elapsed.TotalSeconds -lt 180 -and -not (Test-Path -LiteralPath $done); $i++) {
            $line = try {
                $r = Invoke-WebRequest "http://127.0.0.1:$port/" -TimeoutSec 10 -SkipHttpErrorCheck -UseBasicParsing
                "$($r.StatusCode) $("$($r.Content)".Trim() -replace '\s+', ' ')"
            }
            catch { "failed: $($_.Exception.Message)" }
            Add-Content -LiteralPath $file -Value $line
            Start-Sleep -Milliseconds 50
        }
    }
    Start-Sleep -Seconds 1
    $new = Update-OsvInstance app $appImages.v2 -Drain 5 -Timeout $timeout -WarningAction SilentlyContinue
    "replaced: $($new.Name) $(@($new.IPAddress)) forwards $(@($new.Forwards))"
    Start-Sleep -Seconds 3
    Set-Content -LiteralPath $done -Value 'done'
    $client | Wait-Job -Timeout 60 | Out-Null
    $client | Remove-Job -Force
    $answers = @(Get-Content -LiteralPath $loop)
    $failed = @($answers | Where-Object { $_ -notmatch '^200 v[12] count=' })
    "result loop: $($answers.Count) requests, $(@($answers | Where-Object { $_ -match '^200 v1 ' }).Count) v1, $(@($answers | Where-Object { $_ -match '^200 v2 ' }).Count) v2, $($failed.Count) failed"
    foreach ($f in $failed | Select-Object -First 5) { "failed answer: $f" }
    # Once the replacement has answered, the old one does not: nginx follows the name, which moved at the hand-over.
    $firstV2 = [array]::FindIndex([string[]]$answers, [Predicate[string]] { param($a) $a -match '^200 v2 ' })
    "result v1 after v2: $(if ($firstV2 -lt 0) { 'no v2' } else { @($answers | Select-Object -Skip $firstV2 | Where-Object { $_ -match '^200 v1 ' }).Count })"
    "result after: $(Invoke-Proxy)"

    $err = $null
    # v2 started wrongly: it runs, and listens on a port nobody asks (8001), so it never answers on 8000.
    Update-OsvInstance $new.Name $appImages.v2 -CommandLine '/usr/bin/python3 /srv/app.py broken' -Timeout 8 -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
    "result broken: $($err[0].FullyQualifiedErrorId)"
    "result serves on: $(Invoke-Proxy)"
    if ($Keep) { 'kept: the network and instances stay (Remove-OsvNetwork back -Force)' }
    Get-OsvInstance | Format-Table | Out-String -Width 160
}
finally {
    if (-not $Keep) {
        Remove-OsvNetwork back -Force -Confirm:$false
        Get-OsvInstance | Where-Object { $_.Name -in 'redis', 'proxy' -or $_.Name -like 'app*' } | Remove-OsvInstance -Force -Confirm:$false -ErrorAction SilentlyContinue
    }
}
