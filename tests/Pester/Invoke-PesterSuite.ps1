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
        # The file: the test or block running now, then the counts of the tests that ended, as JSON.
        function script:Write-PesterDebugMessage {
            param($Scope, $Message, $LazyMessage, $ErrorRecord)
            if ($Message -like 'Running test *') {
                $script:OsvPSNow = "$($Test.Block.BlockContainer.Item) :: $($Test.ExpandedPath)"
            }
            elseif ($Message -like 'Executing body of block *') {
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

[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Skipped = $result.SkippedCount
} | ConvertTo-Json | Set-Content -LiteralPath $SummaryPath
