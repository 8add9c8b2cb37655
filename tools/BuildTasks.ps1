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
    # Published afresh: a file an earlier build published (a library a dependency no longer brings) must not ship.
    Remove-Item -LiteralPath $publish -Recurse -Force -ErrorAction Ignore
    Invoke-Dotnet publish (Join-Path $root 'src/OsvPS/OsvPS.csproj') -c $Configuration -o (Join-Path $publish 'OsvPS') --nologo -v quiet
    Invoke-Dotnet publish (Join-Path $root 'src/OsvPS.LoadContext/OsvPS.LoadContext.csproj') -c $Configuration -o (Join-Path $publish 'LoadContext') --nologo -v quiet

    New-Item -ItemType Directory -Force -Path $dependencyOut | Out-Null
    $wanted = [Collections.Generic.HashSet[string]]::new()
    foreach ($file in 'OsvPS.psd1', 'OsvPS.psm1', 'OsvPS.Format.ps1xml') {
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

# Every test process runs with HOME, the XDG folders and CAPSTAN_ROOT in a fresh folder of its own, so the
# suite reads and writes nothing of the machine's own state (a probe verdict or a repository left in
# ~/.cache or ~/.capstan by an earlier build). The NuGet packages folder stays the machine's (a cache).
# Returns what to hand to Restore-TestEnvironment.
function Enter-TestEnvironment {
    Clear-AbandonedTestEnvironments
    $packages = (& dotnet nuget locals global-packages --list) -join "`n"
    if ($packages -notmatch 'global-packages:\s*(.+)$') { throw "cannot find the NuGet global packages folder: $packages" }
    $names = 'HOME', 'XDG_CACHE_HOME', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'CAPSTAN_ROOT', 'NUGET_PACKAGES', 'DOTNET_CLI_HOME'
    $saved = @{}
    foreach ($name in $names) { $saved[$name] = [Environment]::GetEnvironmentVariable($name) }
    $folder = Join-Path ([IO.Path]::GetTempPath()) ('osvps-test-home-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $homeFolder = Join-Path $folder 'home'
    # The owner first: another run's clean-up takes a folder without a live owner for a killed run's.
    New-Item -ItemType Directory -Force $folder | Out-Null
    Set-Content -LiteralPath (Join-Path $folder 'owner.pid') -Value $PID
    foreach ($sub in '.cache', '.config', '.local/share', '.capstan') { New-Item -ItemType Directory -Force (Join-Path $homeFolder $sub) | Out-Null }
    # dotnet keeps its first-run marks and tool shims under DOTNET_CLI_HOME (else HOME): the machine's, like the packages.
    $env:DOTNET_CLI_HOME = if ($saved.DOTNET_CLI_HOME) { $saved.DOTNET_CLI_HOME } else { $saved.HOME }
    $env:NUGET_PACKAGES = $Matches[1].Trim()
    $env:HOME = $homeFolder
    $env:XDG_CACHE_HOME = Join-Path $homeFolder '.cache'
    $env:XDG_CONFIG_HOME = Join-Path $homeFolder '.config'
    $env:XDG_DATA_HOME = Join-Path $homeFolder '.local/share'
    $env:CAPSTAN_ROOT = Join-Path $homeFolder '.capstan'
    Write-Host "Test processes run with HOME=$homeFolder (removed at the end)"
    [pscustomobject]@{ Folder = $folder; Saved = $saved }
}

function Exit-TestEnvironment($Environment) {
    foreach ($entry in $Environment.Saved.GetEnumerator()) { [Environment]::SetEnvironmentVariable($entry.Key, $entry.Value) }
    Remove-TestEnvironment $Environment.Folder
}

# Stops every QEMU still using the folder (one a test left running: nothing outlives the run), then
# removes the folder. Only QEMU: another program that names the folder (a user's tail -f) is left alone.
function Remove-TestEnvironment([string] $Folder) {
    foreach ($process in Get-ChildItem /proc -Directory -ErrorAction Ignore | Where-Object Name -match '^\d+$') {
        $commandLine = try { [IO.File]::ReadAllText("/proc/$($process.Name)/cmdline") } catch { '' }
        $program = try { [IO.Path]::GetFileName((Get-Item "/proc/$($process.Name)/exe" -ErrorAction Stop).LinkTarget) } catch { '' }
        if ($commandLine.Contains($Folder) -and $program -like 'qemu-system-*' -and [int]$process.Name -ne $PID) {
            Write-Warning "stopping process $($process.Name) that the tests left running: $($commandLine.Replace([char]0, ' '))"
            & kill -KILL $process.Name 2>$null
        }
    }
    # Daemons the tests started and noted in the run's HOME (an sshd, libvirt's QEMUs of this run's domains),
    # stopped when the run was cut short.
    foreach ($note in Get-Content -LiteralPath (Join-Path $Folder 'home/.osvps-test-daemons') -ErrorAction Ignore) {
        if ($note -like 'libvirt-domains:*') {
            $prefix = 'guest=' + $note.Substring('libvirt-domains:'.Length)
            foreach ($process in Get-ChildItem /proc -Directory -ErrorAction Ignore | Where-Object Name -match '^\d+$') {
                $commandLine = try { [IO.File]::ReadAllText("/proc/$($process.Name)/cmdline") } catch { '' }
                if ($commandLine.Contains($prefix) -and $commandLine.StartsWith('/usr/bin/qemu-system')) {
                    Write-Warning "stopping the QEMU (pid $($process.Name)) of a libvirt domain the tests left running"
                    & kill -KILL $process.Name 2>$null
                }
            }
            continue
        }
        $pidFile = $note
        $daemon = Get-Content -LiteralPath $pidFile -ErrorAction Ignore
        $commandLine = if ($daemon) { try { [IO.File]::ReadAllText("/proc/$daemon/cmdline") } catch { '' } } else { '' }
        if ($commandLine.Contains('osvps-test-sshd_config')) {
            Write-Warning "stopping the sshd (pid $daemon) the tests left running"
            & kill $daemon 2>$null
        }
    }
    Remove-Item -LiteralPath $Folder -Recurse -Force -ErrorAction SilentlyContinue
    if (Test-Path -LiteralPath $Folder) { Write-Warning "could not remove all of $Folder" }
}

# The folders of earlier runs that were killed before they cleaned up (their build process is gone).
function Clear-AbandonedTestEnvironments {
    foreach ($folder in Get-ChildItem ([IO.Path]::GetTempPath()) -Directory -Filter 'osvps-test-home-*' -ErrorAction Ignore) {
        $owner = Get-Content -LiteralPath (Join-Path $folder.FullName 'owner.pid') -ErrorAction Ignore
        if ($owner -and (Test-Path "/proc/$owner")) { continue }
        # No owner written yet: a run that is starting this very moment, unless the folder is old.
        if (-not $owner -and $folder.LastWriteTimeUtc -gt [DateTime]::UtcNow.AddMinutes(-10)) { continue }
        Write-Host "Removing what an earlier, killed test run left: $($folder.FullName)"
        Remove-TestEnvironment $folder.FullName
    }
}

# The whole test run is bounded: OSVPS_TEST_TIMEOUT_MINUTES (default 60; CI stops a run at 90). A test
# that hangs anyway ends the run with the summary line naming it, instead of running into CI's limit.
function Get-TestBudget {
    $minutes = 0.0
    if (-not [double]::TryParse("$env:OSVPS_TEST_TIMEOUT_MINUTES", [Globalization.NumberStyles]::Float, [Globalization.CultureInfo]::InvariantCulture, [ref] $minutes) -or $minutes -le 0) { $minutes = 60 }
    [TimeSpan]::FromMinutes($minutes)
}

function Invoke-Test {
    Invoke-Build
    New-Item -ItemType Directory -Force -Path $results | Out-Null
    $passed = 0; $failed = 0; $skipped = 0
    $budget = Get-TestBudget
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $hung = @()
    # Restored and built before HOME moves, so the run itself needs nothing from the network.
    Invoke-Dotnet build (Join-Path $root 'tests/OsvPS.Core.Tests/OsvPS.Core.Tests.csproj') -c $Configuration --nologo -v quiet '-clp:NoSummary'
    Invoke-Dotnet restore (Join-Path $root 'tests/Pester/TestDependencies.proj') --nologo -v quiet
    $pester = Get-NuGetPackageFolder 'Pester' '5.7.1'
    $environment = Enter-TestEnvironment
    try {
        if (-not $PesterFilter) {
            $trx = Join-Path $results 'xunit.trx'
            Remove-Item -LiteralPath $trx -ErrorAction Ignore
            # A test that runs 10 minutes is taken for hung: its host is stopped and the test named.
            $output = & dotnet test (Join-Path $root 'tests/OsvPS.Core.Tests/OsvPS.Core.Tests.csproj') -c $Configuration --nologo --no-build `
                --logger 'trx;LogFileName=xunit.trx' --logger 'console;verbosity=minimal' --results-directory $results `
                --blame-hang --blame-hang-timeout 10m --blame-hang-dump-type none 2>&1 | ForEach-Object { Write-Host $_; "$_" }
            $xunitExit = $LASTEXITCODE
            # vstest names the test its hang detector stopped on the line after this one.
            $at = [Array]::IndexOf([string[]]@($output | ForEach-Object { $_.Trim() }), 'The test running when the crash occurred:')
            if ($at -ge 0 -and $at + 1 -lt @($output).Count) { $hung += "xunit: $($output[$at + 1].Trim()) (its host stopped after 10 min without an end)" }
            if (-not (Test-Path -LiteralPath $trx)) {
                $failed += 1
                Write-Warning "the xunit run wrote no results (exit code $xunitExit)"
            }
            else {
                $counters = ([xml](Get-Content -Raw -LiteralPath $trx)).TestRun.ResultSummary.Counters
                $passed += [int]$counters.passed
                $failed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
                # A skipped xunit test is counted in total, not in executed (nor in notExecuted).
                $skipped += [Math]::Max([int]$counters.notExecuted, [int]$counters.total - [int]$counters.executed)
                if ($xunitExit -ne 0 -and [int]$counters.failed -eq 0) { $failed += 1; Write-Warning "dotnet test exited with $xunitExit" }
            }
        }

        $summary = Join-Path $results 'pester.json'
        $current = Join-Path $results 'pester-current-test.txt'
        Remove-Item -LiteralPath $summary, $current -ErrorAction Ignore
        $pwsh = Get-PwshCommand
        $start = [Diagnostics.ProcessStartInfo]::new($pwsh[0])
        foreach ($argument in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $root 'tests/Pester/Invoke-PesterSuite.ps1'),
                '-PesterPath', $pester, '-ModulePath', $moduleOut, '-SummaryPath', $summary, '-Filter', ($PesterFilter ?? ''), '-CurrentTestPath', $current)) {
            $start.ArgumentList.Add($argument)
        }
        $start.UseShellExecute = $false
        $process = [Diagnostics.Process]::Start($start)
        $left = $budget - $clock.Elapsed
        if ($left -lt [TimeSpan]::FromMinutes(1)) { $left = [TimeSpan]::FromMinutes(1) }
        if (-not $process.WaitForExit([int]$left.TotalMilliseconds)) {
            $process.Kill($true)
            $process.WaitForExit(30000) | Out-Null
            # What the run got through, and the test it was in, from the file it kept up to date.
            $status = if (Test-Path -LiteralPath $current) { Get-Content -Raw -LiteralPath $current | ConvertFrom-Json }
            $hung += "Pester: $(if ($status) { $status.Running } else { 'before its first test' }) (stopped after $([int]$clock.Elapsed.TotalMinutes) min, the run's bound; OSVPS_TEST_TIMEOUT_MINUTES sets it)"
            if ($status) { $passed += $status.Passed; $failed += $status.Failed; $skipped += $status.Skipped }
            $failed += 1
        }
        else {
            $process.WaitForExit()
        }
        if ($hung -match '^Pester: ') {
            # counted above
        }
        elseif (-not (Test-Path -LiteralPath $summary)) {
            $failed += 1
            Write-Warning "the Pester run wrote no summary (exit code $(if ($process.HasExited) { $process.ExitCode } else { 'none: killed' }))"
        }
        else {
            $p = Get-Content -Raw -LiteralPath $summary | ConvertFrom-Json
            $passed += $p.Passed; $failed += $p.Failed; $skipped += $p.Skipped
        }
    }
    finally {
        Exit-TestEnvironment $environment
    }

    foreach ($entry in $hung) { Write-Host "hung: $entry" }
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
