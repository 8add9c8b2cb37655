<#
.SYNOPSIS
    Benchmark of Start-OsvInstance -Connection qemu:///system -Wait against Start-OsvInstance -Wait
    on this machine's QEMU, in the same run, on the real OSv kernel (OSVPS_TEST_OSV, else
    OSVPS_TEST_OSV), kernel and disk boot: the first start into an empty pool (it uploads the image
    and kernel), the later ones (nothing uploaded), and the direct engine. Needs libvirtd running
    (the tests' Start-TestLibvirt starts it when it is installed).
.EXAMPLE
    dotnet pwsh ./build.ps1 build; dotnet pwsh ./bench/Start-Libvirt.ps1
#>
param([int] $Runs = 5)
$ErrorActionPreference = 'Stop'
$module = Join-Path $PSScriptRoot '../out/OsvPS'
if (-not (Test-Path (Join-Path $module 'OsvPS.psd1'))) { throw 'build the module first: dotnet pwsh ./build.ps1 build' }
Import-Module (Join-Path $PSScriptRoot '../tests/Pester/TestHelpers.psm1')
Import-Module $module

function Get-Median([double[]] $Values) { $s = $Values | Sort-Object; $s[[int][math]::Floor($s.Count / 2)] }

$osv = Find-RealOsv
if (-not $osv.Loader) { "Skipped: $($osv.Reason)."; return }
$why = Start-TestLibvirt
if ($why) { "Skipped: $why."; return }
$uri = 'qemu:///system'
$pool = 'osvps-bench'
$virsh = (Get-Command virsh -CommandType Application | Select-Object -First 1).Source

function Clear-BenchPool {
    if (@(& $virsh -c $uri pool-list --all --name | ForEach-Object { "$_".Trim() }) -contains $pool) {  # virsh pads pool names
        foreach ($line in & $virsh -c $uri vol-list $pool) { if ("$line" -match '^\s*(osvps-\S+)') { & $virsh -c $uri vol-delete --pool $pool $Matches[1] *> $null } }
        & $virsh -c $uri pool-destroy $pool *> $null
        & $virsh -c $uri pool-undefine $pool *> $null
    }
}

# Seconds for one start that waits for the guest to power off; the program's line must show.
function Measure-Start([string] $Mode, [hashtable] $Extra) {
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $lines = Start-OsvInstance hello -Name "bench-lv-$Mode".ToLowerInvariant() -BootMode $Mode -Wait -Timeout 60 -WarningAction SilentlyContinue @Extra |
        Where-Object { $_ -is [string] }
    $seconds = $watch.Elapsed.TotalSeconds
    if ($lines -notcontains 'arg[0]=<bench>') { throw "the guest did not print its line ($Mode): $($lines -join ' | ')" }
    $seconds
}

$work = Join-Path ([IO.Path]::GetTempPath()) "osvps-bench-libvirt-$PID"
try {
    New-RealOsvRepository (Join-Path $work 'real') $osv | Out-Null
    $hello = Join-Path $work 'hello'
    New-OsvProject $hello -BootCommand '/probe args bench' | Out-Null
    Add-OsvBinary (New-OsvProbe (Join-Path $work 'probe')) -Project $hello -WarningAction SilentlyContinue | Out-Null
    $image = Build-OsvImage $hello -WarningAction SilentlyContinue
    $libvirt = @{ Connection = $uri; StoragePool = $pool }
    $rows = foreach ($mode in 'Kernel', 'Disk') {
        Clear-BenchPool
        $first = Measure-Start $mode $libvirt
        $later = 1..$Runs | ForEach-Object { Measure-Start $mode $libvirt }
        $direct = 1..$Runs | ForEach-Object { Measure-Start $mode @{} }
        Remove-OsvInstance "bench-lv-$mode" -Connection $uri
        Remove-OsvInstance "bench-lv-$mode"
        [pscustomobject]@{
            Boot                       = $mode
            'libvirt first (s)'        = [math]::Round($first, 3)
            'libvirt later (s)'        = [math]::Round((Get-Median $later), 3)
            'direct QEMU (s)'          = [math]::Round((Get-Median $direct), 3)
            'libvirt / direct'         = [math]::Round((Get-Median $later) / (Get-Median $direct), 2)
            'upload, first start (ms)' = [math]::Round(1000 * ($first - (Get-Median $later)))
        }
    }
    $size = (Get-Item -LiteralPath $image.Path).Length / 1MB
    "Start-OsvInstance -Wait, real OSv ($(Split-Path -Leaf $osv.Loader)), image {0:0.0} MiB; medians of $Runs runs, the first start alone:" -f $size
    $rows | Format-Table -AutoSize | Out-String -Width 200
}
finally {
    Clear-BenchPool
    Remove-Item -Recurse -Force $work -ErrorAction Ignore
    # The daemons this script started (none that were running before it) stop with it.
    Stop-TestLibvirt
}
