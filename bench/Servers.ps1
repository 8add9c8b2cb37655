<#
.SYNOPSIS
    Benchmark of the examples/ servers (redis, memcached, nginx, lighttpd, Python's http.server) on
    the real OSv kernel: from Start-OsvInstance to the server's first answer on 127.0.0.1 through its
    forward, booted straight into the kernel and from disk (median of -Runs). Baseline in the same
    run: the same Debian program started as a process on this host, on 127.0.0.1, from its start to
    its first answer.
.EXAMPLE
    dotnet pwsh ./build.ps1 build; dotnet pwsh ./bench/Servers.ps1 -Runs 5
#>
param([int] $Runs = 5)
$ErrorActionPreference = 'Stop'
$module = Join-Path $PSScriptRoot '../out/OsvPS'
if (-not (Test-Path (Join-Path $module 'OsvPS.psd1'))) { throw 'build the module first: dotnet pwsh ./build.ps1 build' }
Import-Module (Join-Path $PSScriptRoot '../tests/Pester/TestHelpers.psm1')
Import-Module (Join-Path $PSScriptRoot '../tests/Pester/ServerHelpers.psm1')
Import-Module $module

function Get-Median([double[]] $Values) { $s = $Values | Sort-Object; $s[[int][math]::Floor($s.Count / 2)] }

# A probe: connects to 127.0.0.1:port, sends the request, reads until the server closes, and
# notes when the answer was complete. QEMU accepts a forwarded connection at once and holds it
# while the guest is not listening yet, so one probe at a time would measure its own timeout:
# a new probe starts every 50 ms, the others staying open, and the first complete answer counts.
Add-Type -TypeDefinition @"
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
public static class OsvPSBenchProbe {
    public static async Task<string> Ask(int port, byte[] request, Stopwatch watch, double[] doneAt, int slot) {
        using (var client = new TcpClient()) {
            await client.ConnectAsync("127.0.0.1", port);
            var stream = client.GetStream();
            await stream.WriteAsync(request, 0, request.Length);
            var answer = new MemoryStream();
            await stream.CopyToAsync(answer);
            doneAt[slot] = watch.Elapsed.TotalSeconds;
            return Encoding.UTF8.GetString(answer.ToArray());
        }
    }
}
"@

# Seconds from $Start's call to the first complete answer that matches the example's pattern (60 s at most).
function Measure-FirstAnswer($Example, [int] $Port, [scriptblock] $Start) {
    $request = [Text.Encoding]::ASCII.GetBytes($Example.Request)
    $doneAt = [double[]]::new(1200)
    $probes = [Collections.Generic.List[object]]::new()
    $watch = [Diagnostics.Stopwatch]::StartNew()
    & $Start
    for ($slot = 0; $slot -lt $doneAt.Length; $slot++) {
        $probes.Add([OsvPSBenchProbe]::Ask($Port, $request, $watch, $doneAt, $slot))
        Start-Sleep -Milliseconds 50
        for ($i = 0; $i -le $slot; $i++) {
            $task = $probes[$i]
            if ($task -and $task.IsCompleted) {
                if ($task.Status -eq 'RanToCompletion' -and $task.Result -match $Example.Expect) { return $doneAt[$i] }
                $probes[$i] = $null
            }
        }
    }
    throw "$($Example.Name) did not answer on 127.0.0.1:$Port within 60 s"
}

# The same Debian program as a process of this host, listening on 127.0.0.1:$Port (files under $Folder).
function Get-HostCommand($Example, [int] $Port, [string] $Folder) {
    New-Item -ItemType Directory -Force $Folder | Out-Null
    Set-Content (Join-Path $Folder 'index.html') '<h1>host</h1>'
    switch ($Example.Name) {
        'redis' { '/usr/bin/redis-server', '--port', "$Port", '--bind', '127.0.0.1', '--save', '', '--dir', $Folder }
        'memcached' { '/usr/bin/memcached', '-u', 'root', '-l', '127.0.0.1', '-p', "$Port", '-U', '0' }
        'nginx' {
            Set-Content (Join-Path $Folder 'nginx.conf') ("daemon off; master_process off; pid $Folder/nginx.pid; error_log stderr; events { worker_connections 64; } " +
                "http { access_log off; client_body_temp_path $Folder/b; proxy_temp_path $Folder/p; fastcgi_temp_path $Folder/f; uwsgi_temp_path $Folder/u; scgi_temp_path $Folder/s; " +
                "server { listen 127.0.0.1:$Port; root /usr/share/nginx/html; } }")
            '/usr/sbin/nginx', '-e', 'stderr', '-c', (Join-Path $Folder 'nginx.conf')
        }
        'lighttpd' {
            Set-Content (Join-Path $Folder 'lighttpd.conf') "server.document-root = `"$Folder`"`nserver.port = $Port`nserver.bind = `"127.0.0.1`"`nserver.upload-dirs = ( `"$Folder`" )`nindex-file.names = ( `"index.html`" )"
            '/usr/sbin/lighttpd', '-D', '-f', (Join-Path $Folder 'lighttpd.conf')
        }
        'python-http' { '/usr/bin/python3', '-m', 'http.server', "$Port", '--bind', '127.0.0.1', '--directory', $Folder }
    }
}

function Measure-Host($Example, [string] $Folder) {
    $port = Get-FreePort
    $command = Get-HostCommand $Example $port $Folder
    $info = [Diagnostics.ProcessStartInfo]::new($command[0])
    foreach ($a in $command | Select-Object -Skip 1) { $info.ArgumentList.Add($a) }
    $info.RedirectStandardOutput = $true; $info.RedirectStandardError = $true
    $process = $null
    try { Measure-FirstAnswer $Example $port { $script:process = [Diagnostics.Process]::Start($info) } }
    finally { if ($script:process) { $script:process.Kill($true); $script:process.WaitForExit(5000) | Out-Null; $script:process.Dispose() } }
}

function Measure-Guest($Example, [string] $Image, [string] $Mode) {
    $port = Get-FreePort
    $name = "bench-$($Example.Name)-$Mode"
    try {
        Measure-FirstAnswer $Example $port { Start-OsvInstance $Image -Name $name -BootMode $Mode -Forward "${port}:$($Example.Guest)" -WarningAction SilentlyContinue | Out-Null }
    }
    finally {
        Stop-OsvInstance $name -ErrorAction SilentlyContinue | Out-Null
        Remove-OsvInstance $name -Force -ErrorAction SilentlyContinue
    }
}

$osv = Find-RealOsv
if (-not $osv.Loader) { throw $osv.Reason }
$saved = $env:CAPSTAN_ROOT
$work = Join-Path ([IO.Path]::GetTempPath()) "osvps-bench-servers-$PID"
try {
    New-RealOsvRepository (Join-Path $work 'capstan') $osv | Out-Null
    $rows = foreach ($example in Get-ServerExample) {
        $skip = Get-ServerSkipReason $example
        if ($skip) { Write-Warning "$($example.Name): $skip"; continue }
        # The example itself builds the image (and runs it once, stopped at once).
        $project = Join-Path $work $example.Name
        $build = [Diagnostics.Stopwatch]::StartNew()
        & $example.Script -Project $project -Name "build-$($example.Name)" -Port (Get-FreePort) -BootMode Kernel -WarningAction SilentlyContinue | Out-Null
        Stop-OsvInstance "build-$($example.Name)" | Out-Null
        Remove-OsvInstance "build-$($example.Name)" -Force
        $prepared = $build.Elapsed.TotalSeconds
        $image = Get-OsvImage $example.Name
        $hostRuns = 1..$Runs | ForEach-Object { Measure-Host $example (Join-Path $work "host-$($example.Name)") }
        $kernel = 1..$Runs | ForEach-Object { Measure-Guest $example $image.Name 'Kernel' }
        $disk = 1..$Runs | ForEach-Object { Measure-Guest $example $image.Name 'Disk' }
        [pscustomobject]@{
            Server               = $example.Name
            'image (MiB)'        = [math]::Round($image.FileSize / 1MB, 1)
            'carry+build+start (s)' = [math]::Round($prepared, 1)
            'host process (s)'   = [math]::Round((Get-Median $hostRuns), 3)
            'kernel boot (s)'    = [math]::Round((Get-Median $kernel), 3)
            'disk boot (s)'      = [math]::Round((Get-Median $disk), 3)
            'kernel/host'        = '{0:0.0}x' -f ((Get-Median $kernel) / (Get-Median $hostRuns))
            'disk/kernel'        = '{0:0.0}x' -f ((Get-Median $disk) / (Get-Median $kernel))
        }
    }
    $accelerator = (Get-OsvInstance -ErrorAction SilentlyContinue | Select-Object -First 1).Accelerator
    "Start-OsvInstance to the first answer on 127.0.0.1 through the forward, medians of $Runs runs, real OSv ($($osv.Folder)), $([Environment]::ProcessorCount) cores:"
    $rows | Format-Table -AutoSize | Out-String -Width 200
}
finally {
    Stop-TestInstances
    $env:CAPSTAN_ROOT = $saved
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
