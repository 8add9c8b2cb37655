# Progress the way PowerShell users know it: Write-Progress with a status, the percent done where it
# can be known, a Completed record at the end, none when $ProgressPreference says so, and records
# from runspaces with no host of their own (ForEach-Object -Parallel) passed on to the caller.
# Records are read from the progress stream of a runspace on this process's own host.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    New-TestRepository (Join-Path $TestDrive 'capstan') | Out-Null
    # Forty programs, one compiled here under forty names: the inputs of Add-OsvBinary.
    $bin = Join-Path $TestDrive 'bin'
    New-Item -ItemType Directory $bin | Out-Null
    Set-Content (Join-Path $bin 'p.c') "#include <stdio.h>`nint main(void) { puts(`"p`"); return 0; }"
    & gcc -fPIE -pie -o (Join-Path $bin 'p') (Join-Path $bin 'p.c')
    if ($LASTEXITCODE) { throw 'gcc failed' }
    $inputs = @(foreach ($i in 1..40) { $path = Join-Path $bin ('p{0:00}' -f $i); Copy-Item (Join-Path $bin 'p') $path; $path })
    # A project with 24 MiB in 600 files for Build-OsvImage.
    $tree = Join-Path $TestDrive 'tree'
    New-OsvProject $tree -BootCommand '/d0/f0' | Out-Null
    $bytes = [byte[]]::new(40KB)
    [Random]::new(7).NextBytes($bytes)
    foreach ($i in 0..599) {
        $folder = Join-Path $tree "d$($i % 10)"
        if ($i -lt 10) { New-Item -ItemType Directory $folder | Out-Null }
        [IO.File]::WriteAllBytes((Join-Path $folder "f$i"), $bytes)
    }
    function Assert-OneBar($Records, [string] $Activity) {
        $records = @($Records | Where-Object Activity -like $Activity)
        $records.Count | Should -BeGreaterThan 1 -Because "$Activity shows a bar"
        $running = @($records | Where-Object RecordType -eq 'Processing')
        $percents = @($running | ForEach-Object PercentComplete | Where-Object { $_ -ge 0 })
        for ($i = 1; $i -lt $percents.Count; $i++) { $percents[$i] | Should -BeGreaterOrEqual $percents[$i - 1] -Because 'the percent done only grows' }
        $running | ForEach-Object { $_.SecondsRemaining | Should -BeGreaterOrEqual -1 }
        $records[-1].RecordType | Should -Be 'Completed' -Because 'the bar is ended'
        $running
    }
}

AfterAll { $env:CAPSTAN_ROOT = $savedRoot }

Describe 'Progress' {
    It 'Add-OsvBinary -Path: the share of the inputs done, the input at hand, then the flush' {
        $project = Join-Path $TestDrive 'many'
        New-OsvProject $project | Out-Null
        $run = Invoke-WithProgress 'param($p, $i) Add-OsvBinary -Project $p -Path $i' $project, $inputs
        $run.Errors | Should -BeNullOrEmpty
        @($run.Output).Count | Should -Be 40 -Because 'each program is placed (OSv provides its C library)'
        $running = Assert-OneBar $run.Progress 'Add-OsvBinary'
        $running[0].StatusDescription | Should -Be '0 of 40 inputs'
        $running[0].PercentComplete | Should -Be 0
        $running[0].CurrentOperation | Should -Be $inputs[0]
        $running[-1].StatusDescription | Should -BeLike 'flushing*'
    }

    It 'Add-OsvBinary from the pipeline: the count so far, with no percent it cannot know' {
        $project = Join-Path $TestDrive 'piped'
        New-OsvProject $project | Out-Null
        $run = Invoke-WithProgress 'param($p, $i) $i | Add-OsvBinary -Project $p' $project, $inputs
        $run.Errors | Should -BeNullOrEmpty
        $running = Assert-OneBar $run.Progress 'Add-OsvBinary'
        $running[0].StatusDescription | Should -Be '0 inputs'
        @($running | Where-Object StatusDescription -like '* inputs' | Where-Object PercentComplete -ge 0) | Should -BeNullOrEmpty
    }

    It 'Build-OsvImage: reading the project, then MiB written of the whole with the file at hand' {
        $run = Invoke-WithProgress 'param($t) Build-OsvImage $t -Name progress -NoBootstrap -Force' $tree
        $run.Errors | Should -BeNullOrEmpty
        $run.Output[-1].Name | Should -Be 'progress'
        $running = Assert-OneBar $run.Progress 'Build-OsvImage *'
        $running[0].StatusDescription | Should -BeLike 'reading*tree*'
        $writing = @($running | Where-Object StatusDescription -match '^[0-9.]+ of 2[0-9]\.[0-9] MiB$')
        $writing | Should -Not -BeNullOrEmpty
        $writing[0].StatusDescription | Should -BeLike '0.0 of *'
        $writing[0].PercentComplete | Should -Be 0
        $writing[-1].StatusDescription | Should -Match '^(2[0-9]\.[0-9]) of \1 MiB$' -Because 'the last bytes are always shown'
        $writing[-1].PercentComplete | Should -Be 100
        $writing | Select-Object -Skip 1 | ForEach-Object { $_.CurrentOperation | Should -Match '^/' -Because 'each record names the guest file at hand' }
        $run.Progress[-1].Activity | Should -Be 'Build-OsvImage progress'
    }

    It 'writes no record under $ProgressPreference = SilentlyContinue' {
        $project = Join-Path $TestDrive 'quiet'
        New-OsvProject $project | Out-Null
        $run = Invoke-WithProgress 'param($p, $i, $t) $ProgressPreference = ''SilentlyContinue''; Add-OsvBinary -Project $p -Path $i; Build-OsvImage $t -Name quiet -NoBootstrap' $project, $inputs, $tree
        $run.Errors | Should -BeNullOrEmpty
        @($run.Output | Where-Object Name -eq 'quiet') | Should -HaveCount 1
        $run.Progress | Should -BeNullOrEmpty
    }

    It 'passes its records on from ForEach-Object -Parallel, whose runspaces have no host of their own' {
        $run = Invoke-WithProgress 'param($t, $m) 1 | ForEach-Object -Parallel { Import-Module $using:m; $ProgressPreference = ''Continue''; Build-OsvImage $using:t -Name parallel -NoBootstrap -Force }' $tree, (Get-OsvTestModulePath)
        $run.Errors | Should -BeNullOrEmpty
        @($run.Output | Where-Object Name -eq 'parallel') | Should -HaveCount 1
        Assert-OneBar $run.Progress 'Build-OsvImage parallel' | Should -Not -BeNullOrEmpty
    }
}
