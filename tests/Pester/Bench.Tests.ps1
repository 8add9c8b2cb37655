# The benchmarks under bench/ still run: each script that needs neither a guest nor a registry is run
# at a small size in a fresh PowerShell, and must end without an error and print its figures. No
# figure is judged here (speed is the benchmarks' own report); a script that rots, as Build-Image.ps1
# did when the loader's size check came, fails this instead of waiting for someone to run it.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $savedRoot = $env:CAPSTAN_ROOT
    # Add-Binary.ps1 works in the current repository: a test one, never the user's.
    New-TestRepository (Join-Path $TestDrive 'capstan') | Out-Null
    $bench = (Resolve-Path (Join-Path $PSScriptRoot '../../bench')).Path
    $elves = Join-Path $TestDrive 'elves'
    New-Item -ItemType Directory $elves | Out-Null
    foreach ($program in 'ls', 'cat', 'grep') { Copy-Item (Get-Command $program -CommandType Application | Select-Object -First 1).Source $elves }
    function Invoke-Bench([string] $Script, [string] $Arguments) {
        $lines = @(Invoke-FreshPwsh "`$ErrorActionPreference = 'Stop'; & '$bench/$Script' $Arguments; if (-not `$?) { exit 1 }" | ForEach-Object { "$_" })
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Text = $lines -join "`n" }
    }
}

AfterAll { $env:CAPSTAN_ROOT = $savedRoot }

Describe 'The benchmarks, at a small size' {
    # Each case: the script, its arguments (evaluated in the test, where $TestDrive and $elves are known) and what its figures must show.
    It '<Script> ends and prints its figures' -ForEach @(
        @{ Script = 'Build-Image.ps1'; Arguments = { "-Files 200 -TotalBytes 4MB -WorkPath '$(Join-Path $TestDrive 'build-image')'" }; Shows = 'ratio build / floor\s+[0-9.]+x', 'unchanged rebuild\s+[0-9.]+ s' }
        @{ Script = 'Add-Binary.ps1'; Arguments = { '-Count 5 -Runs 1' }; Shows = 'speed-up vs ldd \+ cp', 'Actions, first run: Added=[0-9]+' }
        @{ Script = 'Resolve-Elf.ps1'; Arguments = { "-Folders '$elves'" }; Shows = 'ELF files\s+3', 'speed-up over ldd\s+[0-9.]+x' }
        @{ Script = 'Write-Layer.ps1'; Arguments = { '-Files 50 -TreeFiles 200 -Runs 1' }; Shows = 'ContainedFolder', 'SweepTemporaries' }
    ) {
        $run = Invoke-Bench $Script (& $Arguments)
        foreach ($pattern in $Shows) { $run.Text | Should -Match $pattern }
        $run.Text | Should -Not -Match 'Exception|child failed'
        $run.ExitCode | Should -Be 0
    }
}
