# The tasks of build.ps1 (dot-sourced by it: $root, $Configuration and $PesterFilter come from there).
$out = Join-Path $root 'out'
$moduleOut = Join-Path $out 'OsvPS'
$dependencyOut = Join-Path $moduleOut 'Dependencies'
$results = Join-Path $out 'test-results'

function Invoke-Dotnet {
    & dotnet @args
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE" }
}

# The PowerShell running this script, as a command that starts a fresh process of it.
function Get-PwshCommand {
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') {
        return @($process, (Join-Path $PSHOME 'pwsh.dll'))
    }
    return @($process)
}

# Copies a file only when its content differs, so an unchanged build leaves out/ untouched.
function Copy-IfChanged([string] $Source, [string] $Destination) {
    if ((Test-Path -LiteralPath $Destination) -and
        (Get-Item -LiteralPath $Destination).Length -eq (Get-Item -LiteralPath $Source).Length -and
        (Get-FileHash -LiteralPath $Destination).Hash -eq (Get-FileHash -LiteralPath $Source).Hash) {
        return
    }
    Copy-Item -LiteralPath $Source -Destination $Destination -Force
}

function Invoke-Build {
    $publish = Join-Path $out 'publish'
    Invoke-Dotnet publish (Join-Path $root 'src/OsvPS/OsvPS.csproj') -c $Configuration -o (Join-Path $publish 'OsvPS') --nologo -v quiet
    Invoke-Dotnet publish (Join-Path $root 'src/OsvPS.LoadContext/OsvPS.LoadContext.csproj') -c $Configuration -o (Join-Path $publish 'LoadContext') --nologo -v quiet

    New-Item -ItemType Directory -Force -Path $dependencyOut | Out-Null
    $wanted = [Collections.Generic.HashSet[string]]::new()
    foreach ($file in 'OsvPS.psd1', 'OsvPS.Format.ps1xml') {
        Copy-IfChanged (Join-Path $root "module/$file") (Join-Path $moduleOut $file)
        [void] $wanted.Add((Join-Path $moduleOut $file))
    }
    # The cmdlet assembly sits beside the manifest; everything it depends on goes to Dependencies/,
    # where only the module's own resolver finds it. The file list comes from the publish output.
    $files = @(Get-ChildItem -LiteralPath (Join-Path $publish 'OsvPS') -File -Filter *.dll) +
             @(Get-ChildItem -LiteralPath (Join-Path $publish 'LoadContext') -File -Filter 'OsvPS.LoadContext.dll')
    foreach ($file in $files) {
        $target = if ($file.Name -eq 'OsvPS.dll') { Join-Path $moduleOut $file.Name } else { Join-Path $dependencyOut $file.Name }
        Copy-IfChanged $file.FullName $target
        [void] $wanted.Add($target)
    }
    foreach ($help in & (Join-Path $PSScriptRoot 'Build-Help.ps1') -DocsPath (Join-Path $root 'docs') -OutPath (Join-Path $moduleOut 'en-US')) { [void] $wanted.Add($help) }
    Get-ChildItem -LiteralPath $moduleOut -Recurse -File | Where-Object { -not $wanted.Contains($_.FullName) } | Remove-Item -Force
    Write-Host "Module ready: $moduleOut"
}

function Get-NuGetPackageFolder([string] $Id, [string] $Version) {
    $line = (& dotnet nuget locals global-packages --list) -join "`n"
    if ($line -notmatch 'global-packages:\s*(.+)$') { throw "cannot find the NuGet global packages folder: $line" }
    Join-Path $Matches[1].Trim() "$($Id.ToLowerInvariant())/$Version"
}

function Invoke-Test {
    Invoke-Build
    New-Item -ItemType Directory -Force -Path $results | Out-Null
    $passed = 0; $failed = 0; $skipped = 0

    if (-not $PesterFilter) {
        $trx = Join-Path $results 'xunit.trx'
        Remove-Item -LiteralPath $trx -ErrorAction Ignore
        & dotnet test (Join-Path $root 'tests/OsvPS.Core.Tests/OsvPS.Core.Tests.csproj') -c $Configuration --nologo `
            --logger 'trx;LogFileName=xunit.trx' --logger 'console;verbosity=minimal' --results-directory $results
        $xunitExit = $LASTEXITCODE
        if (-not (Test-Path -LiteralPath $trx)) { throw "the xunit run wrote no results (exit code $xunitExit)" }
        $counters = ([xml](Get-Content -Raw -LiteralPath $trx)).TestRun.ResultSummary.Counters
        $passed += [int]$counters.passed
        $failed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        # A skipped xunit test is counted in total, not in executed (nor in notExecuted).
        $skipped += [Math]::Max([int]$counters.notExecuted, [int]$counters.total - [int]$counters.executed)
        if ($xunitExit -ne 0 -and [int]$counters.failed -eq 0) { $failed += 1; Write-Warning "dotnet test exited with $xunitExit" }
    }

    Invoke-Dotnet restore (Join-Path $root 'tests/Pester/TestDependencies.proj') --nologo -v quiet
    $pester = Get-NuGetPackageFolder 'Pester' '5.7.1'
    $summary = Join-Path $results 'pester.json'
    Remove-Item -LiteralPath $summary -ErrorAction Ignore
    $pwsh = Get-PwshCommand
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File (Join-Path $root 'tests/Pester/Invoke-PesterSuite.ps1') `
        -PesterPath $pester -ModulePath $moduleOut -SummaryPath $summary -Filter ($PesterFilter ?? '')
    if (-not (Test-Path -LiteralPath $summary)) {
        $failed += 1
        Write-Warning "the Pester run wrote no summary (exit code $LASTEXITCODE)"
    }
    else {
        $p = Get-Content -Raw -LiteralPath $summary | ConvertFrom-Json
        $passed += $p.Passed; $failed += $p.Failed; $skipped += $p.Skipped
    }

    $line = "$passed passed, $failed failed"
    if ($skipped) { $line += ", $skipped skipped" }
    Write-Host $line
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    $pwsh = Get-PwshCommand
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File (Join-Path $root 'examples/Demo.ps1') `
        -ModulePath $moduleOut -WorkPath (Join-Path $out 'demo') -Root $root
    if ($LASTEXITCODE -ne 0) { throw "the demo failed (exit code $LASTEXITCODE)" }
}

# The module's package (.nupkg, as PSResourceGet publishes it) in out/package.
function Invoke-Package {
    Invoke-Build
    $package = & (Join-Path $PSScriptRoot 'New-ModulePackage.ps1') -ModulePath $moduleOut -OutPath (Join-Path $out 'package')
    Write-Host "Package ready: $package"
}

function Invoke-Clean {
    Remove-Item -Recurse -Force -LiteralPath $out -ErrorAction Ignore
    Get-ChildItem -LiteralPath (Join-Path $root 'src'), (Join-Path $root 'tests') -Recurse -Directory -Include bin, obj |
        Remove-Item -Recurse -Force
}
