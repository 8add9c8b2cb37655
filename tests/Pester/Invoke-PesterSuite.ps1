<#
.SYNOPSIS
    Runs the Pester suite against a built module, in this (fresh) process, and writes the counts
    to a JSON file for build.ps1 to add to the xunit counts.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $SummaryPath,
    [string] $Filter,
    # A file this run keeps naming the test (or block setup) running now, so that a run stopped for
    # taking too long can say which test hung.
    [string] $CurrentTestPath
)
$ErrorActionPreference = 'Stop'
# Every process this run starts inherits the mark (build.ps1 sets it; a run started by hand gets one here).
if (-not $env:OSVPS_TEST_RUN) { $env:OSVPS_TEST_RUN = [guid]::NewGuid().ToString('N') }
Import-Module (Join-Path $PesterPath 'tools/Pester.psd1') -Force
$env:OSVPS_TEST_MODULE = (Resolve-Path -LiteralPath $ModulePath).Path

$config = New-PesterConfiguration
$files = Get-ChildItem -LiteralPath $PSScriptRoot -Filter '*.Tests.ps1' |
    Where-Object { -not $Filter -or $_.Name -match $Filter }
$config.Run.Path = @($files.FullName)
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
if ($CurrentTestPath) {
    # Pester 5 says when a test or a block starts only through its debug messages (scope Runtime); the
    # module's own writer is replaced, in the module's scope, by one that records the test being run
    # and writes nothing to the console. $Test and $block are Pester's own variables at those points.
    $config.Debug.WriteDebugMessages = $true
    $config.Debug.WriteDebugMessagesFrom = @('Runtime')
    & (Get-Module Pester) {
        param($StatusPath)
        $script:OsvPSStatusPath = $StatusPath
        $script:OsvPSNow = 'discovery'
        $script:OsvPSCounts = @{ Passed = 0; Failed = 0; Skipped = 0 }
        # Nothing a test file starts may outlive it: the QEMUs and dnsmasqs of this run (they, or their parent, a
        # libvirtd the tests started, carry the run's OSVPS_TEST_RUN in their environment: another run's or a
        # person's are not looked at) alive when a file begins are the baseline; one still running (not a zombie)
        # when the next file begins, or when the run ends, is that file's leak: named, killed, counted as a failure.
        $script:OsvPSFile = $null
        $script:OsvPSLeaks = [Collections.Generic.List[string]]::new()
        $script:OsvPSRunMark = [char]0 + "OSVPS_TEST_RUN=$env:OSVPS_TEST_RUN" + [char]0
        function script:Test-OsvPSOfThisRun([string] $Id) {
            try { ([char]0 + [IO.File]::ReadAllText("/proc/$Id/environ", [Text.Encoding]::Latin1)).Contains($script:OsvPSRunMark) }
            catch { $false }
        }
        function script:Get-OsvPSWatchedProcesses {
            $found = @{}
            foreach ($entry in [IO.Directory]::EnumerateDirectories('/proc')) {
                $id = [IO.Path]::GetFileName($entry)
                if ($id -notmatch '^\d+$') { continue }
                try {
                    $program = [IO.Path]::GetFileName([IO.File]::ResolveLinkTarget("$entry/exe", $false).FullName)
                    if ($program -notlike 'qemu-system-*' -and $program -ne 'dnsmasq') { continue }
                    $stat = [IO.File]::ReadAllText("$entry/stat")
                    $fields = $stat.Substring($stat.LastIndexOf([char]')') + 2).Split([char]' ')
                    if ($fields[0] -eq 'Z') { continue }
                    if (-not (Test-OsvPSOfThisRun $id) -and -not (Test-OsvPSOfThisRun $fields[1])) { continue }
                    # The start time (field 22) tells a reused pid from the process of the baseline.
                    $key = $id + '/' + $fields[19]
                    $found[$key] = [IO.File]::ReadAllText("$entry/cmdline").Replace([char]0, ' ').Trim()
                }
                catch { }
            }
            $found
        }
        function script:Test-OsvPSLeaks([string] $File) {
            $now = Get-OsvPSWatchedProcesses
            $new = @($now.Keys | Where-Object { -not $script:OsvPSBaseline.ContainsKey($_) })
            if ($new.Count -gt 0) {
                # A process being stopped right now gets 5 s to go.
                $deadline = [DateTime]::UtcNow.AddSeconds(5)
                while ($new.Count -gt 0 -and [DateTime]::UtcNow -lt $deadline) {
                    Start-Sleep -Milliseconds 100
                    $now = Get-OsvPSWatchedProcesses
                    $new = @($new | Where-Object { $now.ContainsKey($_) })
                }
                foreach ($key in $new) {
                    $leak = "$([IO.Path]::GetFileName($File)) left process $($key.Split('/')[0]) running: $($now[$key])"
                    $script:OsvPSLeaks.Add($leak)
                    [Console]::Error.WriteLine("LEAK: $leak")
                    & kill -KILL $key.Split('/')[0] 2>$null
                }
            }
            $script:OsvPSBaseline = Get-OsvPSWatchedProcesses
        }
        $script:OsvPSBaseline = Get-OsvPSWatchedProcesses
        # The file: the test or block running now, then the counts of the tests that ended, as JSON.
        function script:Write-PesterDebugMessage {
            param($Scope, $Message, $LazyMessage, $ErrorRecord)
            if ($Message -like 'Running test *') {
                $script:OsvPSNow = "$($Test.Block.BlockContainer.Item) :: $($Test.ExpandedPath)"
            }
            elseif ($Message -like 'Executing body of block *') {
                $file = "$($block.BlockContainer.Item)"
                if ($file -ne $script:OsvPSFile) {
                    if ($script:OsvPSFile) { Test-OsvPSLeaks $script:OsvPSFile }
                    $script:OsvPSFile = $file
                }
                $script:OsvPSNow = "$($block.BlockContainer.Item) :: $($block.ExpandedPath) (its BeforeAll or body)"
            }
            elseif ($Message -like 'Left test *' -and $Test.Executed) {
                $outcome = if ($Test.Skipped) { 'Skipped' } elseif ($Test.Passed) { 'Passed' } else { 'Failed' }
                $script:OsvPSCounts[$outcome]++
            }
            else {
                return
            }
            [IO.File]::WriteAllText($script:OsvPSStatusPath, (@{ Running = $script:OsvPSNow } + $script:OsvPSCounts | ConvertTo-Json -Compress))
        }
    } $CurrentTestPath
}
$result = Invoke-Pester -Configuration $config
# Where the run's time went: the slowest files, for keeping the whole run within its budget.
Write-Host 'slowest test files:'
foreach ($container in @($result.Containers | Sort-Object Duration -Descending | Select-Object -First 12)) {
    Write-Host ('  {0,6:0.0} s  {1}' -f $container.Duration.TotalSeconds, [IO.Path]::GetFileName("$($container.Item)"))
}
$leaks = 0
if ($CurrentTestPath) {
    $leaks = & (Get-Module Pester) {
        if ($script:OsvPSFile) { Test-OsvPSLeaks $script:OsvPSFile }
        $script:OsvPSLeaks.Count
    }
}

[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount + $leaks
    Skipped = $result.SkippedCount
} | ConvertTo-Json | Set-Content -LiteralPath $SummaryPath
