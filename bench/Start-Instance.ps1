<#
.SYNOPSIS
    Benchmark of Start-OsvInstance -Wait on the stand-in guest against running the identical QEMU
    command line directly, in the same run: total time, time to the first console line, and the
    overhead OsvPS adds, for disk boot and for booting straight into the kernel.
.EXAMPLE
    dotnet pwsh ./build.ps1 build; dotnet pwsh ./bench/Start-Instance.ps1
#>
param([int] $Runs = 7)
$ErrorActionPreference = 'Stop'
$module = Join-Path $PSScriptRoot '../out/OsvPS'
if (-not (Test-Path (Join-Path $module 'OsvPS.psd1'))) { throw 'build the module first: dotnet pwsh ./build.ps1 build' }
Import-Module (Join-Path $PSScriptRoot '../tests/Pester/TestHelpers.psm1')
Import-Module $module
$work = Join-Path ([IO.Path]::GetTempPath()) "osvps-bench-start-$PID"
$demo = New-InstanceTestSetup $work
Build-OsvImage $demo | Out-Null
$kernel = New-StandInKernel (Join-Path $work 'kernel.elf')

function Get-Median([double[]] $Values) { $s = $Values | Sort-Object; $s[[int][math]::Floor($s.Count / 2)] }

# One run through OsvPS: total seconds and seconds to the first console line.
function Measure-OsvPS([string] $Mode) {
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $first = $null
    Start-OsvInstance demo -Name "bench-$Mode" -BootMode $Mode -Wait -Timeout ([TimeSpan]::FromSeconds(60)) -WarningAction SilentlyContinue |
        ForEach-Object { if ($null -eq $first -and $_ -is [string]) { $first = $watch.Elapsed.TotalSeconds } }
    [pscustomobject]@{ Total = $watch.Elapsed.TotalSeconds; First = $first }
}

# The QEMU command line OsvPS used, exactly as passed.
function Get-QemuCommand([string] $Mode) {
    $instance = Start-OsvInstance demo -Name "bench-$Mode" -BootMode $Mode -Wait -Timeout ([TimeSpan]::FromSeconds(60)) -WarningAction SilentlyContinue |
        Select-Object -Last 1
    $instance.QemuCommand
}

# One direct run of the same command line: total seconds and seconds to the first line in console.log.
function Measure-Direct([string[]] $Command, [string] $Console) {
    Remove-Item $Console -ErrorAction Ignore
    $info = [Diagnostics.ProcessStartInfo]::new($Command[0])
    foreach ($a in $Command | Select-Object -Skip 1) { $info.ArgumentList.Add($a) }
    $info.RedirectStandardError = $true
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $p = [Diagnostics.Process]::Start($info)
    $first = $null
    while (-not $p.HasExited) {
        if ($null -eq $first -and (Test-Path $Console) -and (Get-Item $Console).Length -gt 0) { $first = $watch.Elapsed.TotalSeconds }
        Start-Sleep -Milliseconds 2
    }
    $p.WaitForExit()
    if ($null -eq $first) { $first = $watch.Elapsed.TotalSeconds }
    [pscustomobject]@{ Total = $watch.Elapsed.TotalSeconds; First = $first }
}

$rows = foreach ($mode in 'Disk', 'Kernel') {
    if ($mode -eq 'Kernel') { Import-OsvImage -Name osv-loader -Kernel $kernel | Out-Null }
    $command = Get-QemuCommand $mode
    $console = Join-Path $env:CAPSTAN_ROOT "instances/qemu/bench-$mode/console.log"
    $direct = 1..$Runs | ForEach-Object { Measure-Direct $command $console }
    $osvps = 1..$Runs | ForEach-Object { Measure-OsvPS $mode }
    [pscustomobject]@{
        Boot              = $mode
        'QEMU direct (s)' = '{0:0.000}' -f (Get-Median $direct.Total)
        'OsvPS -Wait (s)' = '{0:0.000}' -f (Get-Median $osvps.Total)
        'overhead (ms)'   = '{0:0}' -f (1000 * ((Get-Median $osvps.Total) - (Get-Median $direct.Total)))
        'first line direct (s)' = '{0:0.000}' -f (Get-Median $direct.First)
        'first line OsvPS (s)'  = '{0:0.000}' -f (Get-Median $osvps.First)
    }
}
"Medians of $Runs runs each, stand-in guest, $((Get-OsvInstance bench-Disk).Accelerator):"
$rows | Format-Table -AutoSize | Out-String -Width 200
Stop-TestInstances
Remove-Item -Recurse -Force $work
