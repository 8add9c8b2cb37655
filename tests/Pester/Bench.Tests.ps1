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
    It 'Build-Image.ps1 builds its generated project and prints the ratio to the floor' {
        $run = Invoke-Bench 'Build-Image.ps1' "-Files 200 -TotalBytes 4MB -WorkPath '$(Join-Path $TestDrive 'build-image')'"
        $run.Text | Should -Match 'ratio build / floor\s+[0-9.]+x'
        $run.Text | Should -Match 'unchanged rebuild\s+[0-9.]+ s'
        $run.Text | Should -Not -Match 'Exception|child failed'
        $run.ExitCode | Should -Be 0
    }

    It 'Add-Binary.ps1 adds host programs twice and prints the speed-up against ldd + cp' {
        $run = Invoke-Bench 'Add-Binary.ps1' '-Count 5 -Runs 1'
        $run.Text | Should -Match 'speed-up vs ldd \+ cp'
        $run.Text | Should -Match 'Actions, first run: Added=[0-9]+'
        $run.Text | Should -Not -Match 'Exception'
        $run.ExitCode | Should -Be 0
    }

    It 'Resolve-Elf.ps1 resolves a folder of programs and prints the speed-up over ldd' {
        $run = Invoke-Bench 'Resolve-Elf.ps1' "-Folders '$elves'"
        $run.Text | Should -Match 'ELF files\s+3'
        $run.Text | Should -Match 'speed-up over ldd\s+[0-9.]+x'
        $run.Text | Should -Not -Match 'Exception'
        $run.ExitCode | Should -Be 0
    }

    It 'Write-Layer.ps1 writes through ContainedFolder and prints its ratios' {
        $run = Invoke-Bench 'Write-Layer.ps1' '-Files 50 -TreeFiles 200 -Runs 1'
        $run.Text | Should -Match 'SweepTemporaries'
        $run.Text | Should -Not -Match 'Exception'
        $run.ExitCode | Should -Be 0
    }
}
