<#
.SYNOPSIS
    Benchmark of Add-OsvBinary on host programs against the way it is done by hand, in the same run:
    ldd on each program, then cp of the programs and of the unique libraries ldd names, then sync.
    Prints the first run, an unchanged second run and -WhatIf (resolution alone) of Add-OsvBinary,
    the shell pipeline, their ratios, and the peak working set of the process running the cmdlet.
.EXAMPLE
    dotnet pwsh ./build.ps1 build; dotnet pwsh ./bench/Add-Binary.ps1 -Count 300
#>
param([int] $Count = 300, [int] $Runs = 5)
$ErrorActionPreference = 'Stop'
$module = Join-Path $PSScriptRoot '../out/OsvPS'
if (-not (Test-Path (Join-Path $module 'OsvPS.psd1'))) { throw 'build the module first: dotnet pwsh ./build.ps1 build' }
Import-Module $module
$work = Join-Path ([IO.Path]::GetTempPath()) "osvps-bench-add-$PID"
New-Item -ItemType Directory -Force $work | Out-Null

# The inputs: dynamically linked ELF programs and libraries of the host whose libraries all resolve,
# spread evenly over the sorted candidates so that the choice is the same on every run.
$candidates = Get-ChildItem -File /usr/bin, /usr/sbin, /usr/lib/x86_64-linux-gnu -ErrorAction Ignore |
    Where-Object { $_.Name -ne '[' -and $_.Length -gt 0 } | Sort-Object FullName
$usable = [Collections.Generic.List[string]]::new()
foreach ($info in $candidates | Get-OsvElfInfo -ErrorAction Ignore) {
    if ($info.Kind -in 'PositionIndependentExecutable', 'DynamicExecutable', 'SharedLibrary' -and -not $info.Missing) { $usable.Add($info.Path) }
}
$step = [math]::Max(1, [math]::Floor($usable.Count / $Count))
$inputs = @(for ($i = 0; $i -lt $usable.Count -and ($i / $step) -lt $Count; $i += $step) { $usable[$i] })
$list = Join-Path $work 'inputs.txt'
Set-Content -LiteralPath $list -Value $inputs

# The shell pipeline: ldd each, cp the programs and the unique libraries, sync.
$shell = Join-Path $work 'by-hand.sh'
Set-Content -LiteralPath $shell -Value @'
set -e
list=$1; dest=$2
mkdir -p "$dest/usr/lib"
while read -r f; do ldd "$f" 2>/dev/null | awk '/=> \// { print $3 }'; done < "$list" | sort -u > "$dest.libs"
xargs -a "$list" -d '\n' cp -t "$dest"
xargs -a "$dest.libs" -d '\n' cp -L -t "$dest/usr/lib"
sync
'@

# Each side starts with nothing dirty in the page cache, so neither pays for the other's writes.
function Sync-Disk { & sync }

function Measure-Shell([string] $Dest) {
    Remove-Item -Recurse -Force $Dest, "$Dest.libs" -ErrorAction Ignore
    Sync-Disk
    (Measure-Command { & bash $shell $list $Dest; if ($LASTEXITCODE) { throw 'the shell pipeline failed' } }).TotalSeconds
}

# Add-OsvBinary in a fresh process: the seconds of the call and the process's peak working set.
function Measure-OsvPS([string] $Project, [string] $Extra = '') {
    $script = @"
Import-Module '$module'
`$inputs = Get-Content -LiteralPath '$list'
`$t = Measure-Command { `$script:files = `$inputs | Add-OsvBinary -Project '$Project' $Extra }
"{0} {1} {2} {3}" -f `$t.TotalSeconds, [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64, @(`$files).Count, ((`$files | Group-Object Action | ForEach-Object { "`$(`$_.Name)=`$(`$_.Count)" }) -join ',')
"@
    Sync-Disk
    $line = & ([Environment]::ProcessPath) (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command $script | Select-Object -Last 1
    $parts = $line -split ' '
    [pscustomobject]@{ Seconds = [double]$parts[0]; PeakMB = [math]::Round([double]$parts[1] / 1MB); Results = [int]$parts[2]; Actions = $parts[3] }
}

try {
    Measure-Shell (Join-Path $work 'warm') | Out-Null   # both sides then read the sources from the page cache
    $rows = foreach ($run in 1..$Runs) {
        $byHand = Measure-Shell (Join-Path $work "hand-$run")
        $project = Join-Path $work "project-$run"
        New-OsvProject $project -BootCommand /x | Out-Null
        $first = Measure-OsvPS $project
        $again = Measure-OsvPS $project
        $whatIf = Measure-OsvPS (Join-Path $work 'project-1') '-WhatIf'
        # The copy floor: cp -r of the finished project, then sync.
        $floorDir = Join-Path $work "floor-$run"
        Sync-Disk
        $floor = (Measure-Command { & cp -r $project $floorDir; & sync }).TotalSeconds
        Remove-Item -Recurse -Force $floorDir
        [pscustomobject]@{ ByHand = $byHand; First = $first; Again = $again; WhatIf = $whatIf; Floor = $floor }
        Remove-Item -Recurse -Force (Join-Path $work "hand-$run"), "$(Join-Path $work "hand-$run").libs"
        if ($run -gt 1) { Remove-Item -Recurse -Force $project }
    }
    foreach ($row in $rows) {
        'run: ldd + cp + sync {0:0.00} s, Add-OsvBinary {1:0.00} s, unchanged {2:0.00} s, -WhatIf {3:0.00} s, cp -r + sync of the result {4:0.00} s' -f $row.ByHand, $row.First.Seconds, $row.Again.Seconds, $row.WhatIf.Seconds, $row.Floor
    }
    # The disk's write-back makes single runs vary by up to 2x: medians are the figures, bests beside them.
    $median = { param($values) $sorted = @($values | Sort-Object); $sorted[[int][math]::Floor($sorted.Count / 2)] }
    $best = { param($values) ($values | Measure-Object -Minimum).Minimum }
    $files = Get-ChildItem -Recurse -File (Join-Path $work 'project-1') | Where-Object FullName -notlike '*/meta/*'
    "$($inputs.Count) inputs; Add-OsvBinary placed $($files.Count) files, $([math]::Round(($files | Measure-Object Length -Sum).Sum / 1MB)) MB; median (best) of $Runs runs:"
    $figures = foreach ($pick in @(@{ Name = 'median'; Of = $median }, @{ Name = 'best'; Of = $best })) {
        $hand = & $pick.Of $rows.ByHand
        $first = & $pick.Of $rows.First.Seconds
        $again = & $pick.Of $rows.Again.Seconds
        $floor = & $pick.Of $rows.Floor
        [pscustomobject]@{
            Figure                        = $pick.Name
            'ldd + cp + sync (s)'         = [math]::Round($hand, 2)
            'cp -r + sync of result (s)'  = [math]::Round($floor, 2)
            'Add-OsvBinary first (s)'     = [math]::Round($first, 2)
            'Add-OsvBinary unchanged (s)' = [math]::Round($again, 2)
            '-WhatIf (s)'                 = [math]::Round((& $pick.Of $rows.WhatIf.Seconds), 2)
            'speed-up vs ldd + cp'        = '{0:0.0}x' -f ($hand / $first)
            'unchanged / first'           = '{0:0%}' -f ($again / $first)
            'first / copy floor'          = '{0:0.00}x' -f ($first / $floor)
        }
    }
    $figures | Format-Table -AutoSize | Out-String -Width 250
    'Peak working set of the process running Add-OsvBinary: first run {0} MB, unchanged run {1} MB' -f ($rows.First.PeakMB | Measure-Object -Maximum).Maximum, ($rows.Again.PeakMB | Measure-Object -Maximum).Maximum
    "Actions, first run: $($rows[0].First.Actions); second: $($rows[0].Again.Actions)"
}
finally {
    Remove-Item -Recurse -Force $work -ErrorAction Ignore
}
