<#
.SYNOPSIS
    Runs the Pester suite against a built module, in this (fresh) process, and writes the counts
    to a JSON file for build.ps1 to add to the xunit counts.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $SummaryPath,
    [string] $Filter
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PesterPath 'tools/Pester.psd1') -Force
$env:OSVPS_TEST_MODULE = (Resolve-Path -LiteralPath $ModulePath).Path

$config = New-PesterConfiguration
$files = Get-ChildItem -LiteralPath $PSScriptRoot -Filter '*.Tests.ps1' |
    Where-Object { -not $Filter -or $_.Name -like "*$Filter*" }
$config.Run.Path = @($files.FullName)
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $config

[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Skipped = $result.SkippedCount
} | ConvertTo-Json | Set-Content -LiteralPath $SummaryPath
