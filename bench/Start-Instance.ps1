<#
.SYNOPSIS
    Benchmark of Start-OsvInstance -Wait against running the identical QEMU command line directly,
    in the same run: total time, time to the program's line on the console, and the overhead OsvPS
    adds, for disk boot and for booting straight into the kernel. On the stand-in guest always; on
    the real OSv kernel (OSVPS_TEST_OSV, else /var/lib/osvps/test-osv) when it is there, where it also gives
    the ratio of disk boot to kernel boot.
.EXAMPLE
    dotnet pwsh ./build.ps1 build; dotnet pwsh ./bench/Start-Instance.ps1
#>
param([int] $Runs = 7)
$ErrorActionPreference = 'Stop'
$module = Join-Path $PSScriptRoot '../out/OsvPS'
if (-not (Test-Path (Join-Path $module 'OsvPS.psd1'))) { throw 'build the module first: dotnet pwsh ./build.ps1 build' }
Import-Module (Join-Path $PSScriptRoot '../tests/Pester/TestHelpers.psm1')
Import-Module $module

function Get-Median([double[]] $Values) { $s = $Values | Sort-Object; $s[[int][math]::Floor($s.Count / 2)] }

# One run through OsvPS: total seconds and seconds to the first console line holding $Marker.
function Measure-OsvPS([string] $Image, [string] $Mode, [string] $Marker) {
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $first = $null
    Start-OsvInstance $Image -Name "bench-$Mode" -BootMode $Mode -Wait -Timeout 60 -WarningAction SilentlyContinue |
        ForEach-Object { if ($null -eq $first -and $_ -is [string] -and $_.Contains($Marker)) { $first = $watch.Elapsed.TotalSeconds } }
    [pscustomobject]@{ Total = $watch.Elapsed.TotalSeconds; First = $first }
}

# The QEMU command line OsvPS used, exactly as passed.
function Get-QemuCommand([string] $Image, [string] $Mode) {
    $instance = Start-OsvInstance $Image -Name "bench-$Mode" -BootMode $Mode -Wait -Timeout 60 -WarningAction SilentlyContinue |
        Select-Object -Last 1
    $instance.QemuCommand
}

# One direct run of the same command line: total seconds and seconds until console.log holds $Marker.
function Measure-Direct([string[]] $Command, [string] $Console, [string] $Marker) {
    Remove-Item $Console -ErrorAction Ignore
    $info = [Diagnostics.ProcessStartInfo]::new($Command[0])
    foreach ($a in $Command | Select-Object -Skip 1) { $info.ArgumentList.Add($a) }
    $info.RedirectStandardError = $true
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $p = [Diagnostics.Process]::Start($info)
    $first = $null
    while (-not $p.HasExited) {
        if ($null -eq $first -and (Test-Path $Console) -and [IO.File]::ReadAllText($Console).Contains($Marker)) { $first = $watch.Elapsed.TotalSeconds }
        Start-Sleep -Milliseconds 2
    }
    $p.WaitForExit()
    if ($null -eq $first) { $first = $watch.Elapsed.TotalSeconds }
    [pscustomobject]@{ Total = $watch.Elapsed.TotalSeconds; First = $first }
}

# Both boot modes of $Image, direct and through OsvPS; $Marker is the program's line.
function Measure-Boots([string] $Image, [string] $Marker, [scriptblock] $BeforeKernel) {
    foreach ($mode in 'Disk', 'Kernel') {
        if ($mode -eq 'Kernel' -and $BeforeKernel) { & $BeforeKernel }
        $command = Get-QemuCommand $Image $mode
        $console = Join-Path $env:CAPSTAN_ROOT "instances/qemu/bench-$mode/console.log"
        $direct = 1..$Runs | ForEach-Object { Measure-Direct $command $console $Marker }
        $osvps = 1..$Runs | ForEach-Object { Measure-OsvPS $Image $mode $Marker }
        [pscustomobject]@{
            Boot                     = $mode
            'QEMU direct (s)'        = [math]::Round((Get-Median $direct.Total), 3)
            'OsvPS -Wait (s)'        = [math]::Round((Get-Median $osvps.Total), 3)
            'overhead (ms)'          = [math]::Round(1000 * ((Get-Median $osvps.Total) - (Get-Median $direct.Total)))
            'program line direct (s)' = [math]::Round((Get-Median $direct.First), 3)
            'program line OsvPS (s)'  = [math]::Round((Get-Median $osvps.First), 3)
        }
    }
}

$work = Join-Path ([IO.Path]::GetTempPath()) "osvps-bench-start-$PID"
try {
    $demo = New-InstanceTestSetup $work
    Build-OsvImage $demo | Out-Null
    $kernel = New-StandInKernel (Join-Path $work 'kernel.elf')
    $rows = Measure-Boots demo 'cmdline:' { Import-OsvImage -Name osv-loader -Kernel $kernel | Out-Null }
    "Medians of $Runs runs each, stand-in guest, $((Get-OsvInstance bench-Disk).Accelerator):"
    $rows | Format-Table -AutoSize | Out-String -Width 200
    Stop-TestInstances

    $osv = Find-RealOsv
    if (-not $osv.Loader) {
        "Real OSv: skipped, $($osv.Reason)."
    }
    else {
        New-RealOsvRepository (Join-Path $work 'real') $osv | Out-Null
        $hello = Join-Path $work 'hello'
        New-OsvProject $hello -BootCommand '/probe args bench' | Out-Null
        Add-OsvBinary (New-OsvProbe (Join-Path $work 'probe')) -Project $hello | Out-Null
        Build-OsvImage $hello | Out-Null
        $rows = @(Measure-Boots hello 'arg[0]=<bench>')
        "Medians of $Runs runs each, real OSv ($(Split-Path -Leaf $osv.Loader)), $((Get-OsvInstance bench-Disk).Accelerator):"
        $rows | Format-Table -AutoSize | Out-String -Width 200
        $disk = $rows | Where-Object Boot -eq Disk
        $kernelRow = $rows | Where-Object Boot -eq Kernel
        'Disk boot / kernel boot, start to the program''s line through OsvPS: {0:0.0}x ({1:0.00} s against {2:0.00} s)' -f
            ($disk.'program line OsvPS (s)' / $kernelRow.'program line OsvPS (s)'), $disk.'program line OsvPS (s)', $kernelRow.'program line OsvPS (s)'
        Stop-TestInstances
    }
}
finally {
    Remove-Item -Recurse -Force $work -ErrorAction Ignore
}
