<#
.SYNOPSIS
    Scale benchmark (issue 35): N instances of one small server started in parallel on the real OSv
    kernel (N = 1, 5, 10, 20 by default), straight into the kernel, each behind its own -Forward:
    the time from the first Start-OsvInstance until every instance answers an HTTP request on
    127.0.0.1, and the resident memory of each QEMU then. Baseline in the same run: the smallest
    -Memory with which OSv boots the same server and answers (found by trying sizes from 16 MiB up),
    and one instance started alone. Prints how both grow with N.
.DESCRIPTION
    The server is tests/fixtures/osv-probe.c in its 'serve PORT' mode (accept, read, answer
    "hello from osv"), compiled here with gcc; the kernel is OSVPS_TEST_OSV, else
    /var/lib/osvps/test-osv. Every instance is started in the background (Start-OsvInstance returns at
    once); one probe loop then asks each forward until its answer is complete (QEMU accepts a forwarded
    connection before the guest listens, so only a complete answer counts). Instances are removed
    after each N. -Memory applies to the scale runs (default 128 MiB: the floor found here with room;
    OsvPS's default is 1 GiB).
.EXAMPLE
    dotnet pwsh ./build.ps1 build; dotnet pwsh ./bench/Scale.ps1
.EXAMPLE
    dotnet pwsh ./bench/Scale.ps1 -Counts 1,2 -Memory 64MB
#>
param(
    [int[]] $Counts = @(1, 5, 10, 20),
    [long] $Memory = 128MB,
    [int] $TimeoutSeconds = 300
)
$ErrorActionPreference = 'Stop'
$module = Join-Path $PSScriptRoot '../out/OsvPS'
if (-not (Test-Path (Join-Path $module 'OsvPS.psd1'))) { throw 'build the module first: dotnet pwsh ./build.ps1 build' }
Import-Module (Join-Path $PSScriptRoot '../tests/Pester/TestHelpers.psm1')
Import-Module $module

$osv = Find-RealOsv
if (-not $osv.Loader) { throw "no real OSv kernel: $($osv.Reason)" }
$work = Join-Path ([IO.Path]::GetTempPath()) ("osvps-scale-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory -Path $work | Out-Null
$savedRoot = $env:CAPSTAN_ROOT
try {
    New-RealOsvRepository (Join-Path $work 'capstan') $osv | Out-Null
    $project = Join-Path $work 'server'
    New-OsvProject $project -BootCommand '/probe serve 8080' | Out-Null
    Add-OsvBinary (New-OsvProbe (Join-Path $work 'probe')) -Project $project -WarningAction SilentlyContinue | Out-Null
    $image = Build-OsvImage $project -WarningAction SilentlyContinue

    # True once 127.0.0.1:$Port gives the server's whole answer within a second.
    function Test-Answer([int] $Port) {
        $client = [Net.Sockets.TcpClient]::new()
        try {
            if (-not $client.ConnectAsync('127.0.0.1', $Port).Wait(1000)) { return $false }
            $stream = $client.GetStream()
            $stream.ReadTimeout = 1000
            $request = [Text.Encoding]::ASCII.GetBytes("GET / HTTP/1.0`r`n`r`n")
            $stream.Write($request, 0, $request.Length)
            $reader = [IO.StreamReader]::new($stream)
            return $reader.ReadToEnd() -match 'hello from osv'
        }
        catch { return $false }
        finally { $client.Dispose() }
    }

    # Starts $Count instances at once; returns the seconds until all answer, and each QEMU's resident MiB then.
    function Measure-Scale([int] $Count, [long] $Bytes, [string] $Prefix, [int] $Within = $TimeoutSeconds) {
        $ports = 1..$Count | ForEach-Object { Get-FreePort }
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $started = for ($i = 0; $i -lt $Count; $i++) {
            Start-OsvInstance $image -Name "$Prefix-$i" -BootMode Kernel -Memory $Bytes -Forward "$($ports[$i]):8080"
        }
        $pending = [Collections.Generic.HashSet[int]]::new([int[]](0..($Count - 1)))
        $readyAt = @{}
        while ($pending.Count -gt 0 -and $watch.Elapsed.TotalSeconds -lt $Within) {
            foreach ($i in @($pending)) {
                if (Test-Answer $ports[$i]) { $readyAt[$i] = $watch.Elapsed.TotalSeconds; [void]$pending.Remove($i) }
            }
            # An instance that ended (OSv failing to boot in too little memory) will not answer.
            if (-not @(Get-OsvInstance "$Prefix-*" | Where-Object State -eq 'Running').Count) { break }
            if ($pending.Count -gt 0) { Start-Sleep -Milliseconds 100 }
        }
        $all = $watch.Elapsed.TotalSeconds
        $rss = foreach ($instance in $started) {
            $status = Get-Content -LiteralPath "/proc/$($instance.Pid)/status" -ErrorAction Ignore
            $line = $status | Where-Object { $_ -like 'VmRSS:*' }
            if ($line) { [double](($line -split '\s+')[1]) / 1024 }
        }
        Get-OsvInstance "$Prefix-*" | Remove-OsvInstance -Force -Confirm:$false
        [pscustomobject]@{
            N             = $Count
            Answered      = $Count - $pending.Count
            AllReadyS     = [math]::Round($all, 2)
            FirstReadyS   = if ($readyAt.Count) { [math]::Round(($readyAt.Values | Measure-Object -Minimum).Minimum, 2) } else { $null }
            MedianRssMiB  = if (@($rss).Count) { [math]::Round((@($rss | Sort-Object)[[int][math]::Floor(@($rss).Count / 2)]), 1) } else { $null }
            MaxRssMiB     = if (@($rss).Count) { [math]::Round(($rss | Measure-Object -Maximum).Maximum, 1) } else { $null }
        }
    }

    # The floor: the smallest -Memory with which the server answers, alone.
    $floor = $null
    foreach ($mib in 16, 24, 32, 40, 48, 64, 96, 128, 256) {
        $probe = Measure-Scale 1 ([long]$mib * 1MB) "floor$mib" 30
        Write-Host ("floor try: -Memory {0} MiB: {1}" -f $mib, $(if ($probe.Answered) { "answers in $($probe.AllReadyS) s, QEMU RSS $($probe.MedianRssMiB) MiB" } else { 'no answer' }))
        if ($probe.Answered) { $floor = [pscustomobject]@{ MiB = $mib; Rss = $probe.MedianRssMiB; Ready = $probe.AllReadyS }; break }
    }
    if (-not $floor) { throw 'the server never answered, whatever the memory' }

    $rows = foreach ($n in $Counts) {
        $row = Measure-Scale $n $Memory "scale$n"
        Write-Host ("N={0}: {1}/{0} answered, all in {2} s, QEMU RSS median {3} MiB (max {4})" -f $n, $row.Answered, $row.AllReadyS, $row.MedianRssMiB, $row.MaxRssMiB)
        $row
    }
    $one = $rows | Where-Object N -eq 1 | Select-Object -First 1
    if (-not $one) { $one = Measure-Scale 1 $Memory 'alone' }

    ''
    "Server: osv-probe 'serve 8080' on OSv ($((Get-Content (Join-Path $osv.Folder 'SOURCE.txt') -ErrorAction Ignore | Where-Object { $_ -match 'commit' } | Select-Object -First 1))), kernel boot, TCG, $([Environment]::ProcessorCount) cores"
    "OSv's floor (smallest -Memory that answers): $($floor.MiB) MiB; QEMU's resident memory then: $($floor.Rss) MiB; ready in $($floor.Ready) s"
    "Scale runs with -Memory $([math]::Round($Memory / 1MB)) MiB:"
    $rows | ForEach-Object {
        [pscustomobject]@{
            N                    = $_.N
            Answered             = "$($_.Answered)/$($_.N)"
            'All ready (s)'      = $_.AllReadyS
            'vs one alone'       = '{0:0.00}x' -f ($_.AllReadyS / $one.AllReadyS)
            'Per instance (s)'   = [math]::Round($_.AllReadyS / $_.N, 2)
            'RSS median (MiB)'   = $_.MedianRssMiB
            'RSS vs floor'       = '{0:0.00}x' -f ($_.MedianRssMiB / $floor.Rss)
            'RSS total (MiB)'    = [math]::Round($_.MedianRssMiB * $_.N)
        }
    } | Format-Table -AutoSize | Out-String -Width 200
}
finally {
    Get-OsvInstance -ErrorAction Ignore | Remove-OsvInstance -Force -Confirm:$false -ErrorAction Ignore
    $env:CAPSTAN_ROOT = $savedRoot
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}
