# Test-OsvBinary's verdicts for both ways to run, against what the real OSv kernel (OSVPS_TEST_OSV, else /var/lib/osvps/test-osv)
# then does with the same programs: OSv's own linker and Linux's dynamic linker carried by Add-OsvBinary -LinuxLinker.
# Every case boots straight into the kernel; representatives also boot from disk.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $osv = Find-RealOsv
    $limit = 60

    # What the kernel did with one command: its console lines, whether the program's own line came, and the
    # symbols a linker said it could not find (OSv: "failed looking up symbol X", glibc: "undefined symbol: X").
    function Invoke-Guest($Image, [string] $Command, [string] $Expect, [string] $Mode = 'Kernel') {
        $output = Start-OsvInstance $Image -BootMode $Mode -CommandLine $Command -Wait -Timeout $limit -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $lines = @($output | Where-Object { $_ -is [string] })
        $symbols = @($lines | ForEach-Object { if ($_ -match 'failed looking up symbol (\S+)|undefined symbol: (\S+)') { "$($Matches[1])$($Matches[2])" } })
        $guard = [bool]($lines -match 'trying to execute or access missing symbol')
        $ran = [bool]($lines -match $Expect) -and $symbols.Count -eq 0 -and -not $guard
        $what = if ($ran) { 'ran' } elseif ($symbols.Count) { "stopped on $($symbols -join ', ')" } elseif ($guard) { 'stopped on a missing symbol''s guard page' }
                else { 'stopped: ' + (($lines | Where-Object { $_ -match 'Aborted|fault|error' } | Select-Object -First 1) ?? 'no line of its own') }
        [pscustomobject]@{ Lines = $lines; Ran = $ran; Started = [bool]($lines -match $Expect); Symbols = $symbols; Guard = $guard; What = $what }
    }

    # True when what the kernel did is what the verdict said it would.
    function Test-Agreement($Verdict, [string[]] $Missing, $Guest) {
        switch ("$Verdict") {
            'Runs' { $Guest.Ran }
            'RunsUnlessCalled' { $Guest.Ran -or $Guest.Guard -or ($Guest.Symbols.Count -gt 0 -and -not ($Guest.Symbols | Where-Object { $_ -notin $Missing })) }
            'FailsAtLoad' { -not $Guest.Started -and $Guest.Symbols.Count -gt 0 -and -not ($Guest.Symbols | Where-Object { $_ -notin $Missing }) }
            default { $false }
        }
    }

    $src = Join-Path $TestDrive 'src'
    New-Item -ItemType Directory (Join-Path $src 'bad') -Force | Out-Null
    function Invoke-Gcc { & gcc @args; if ($LASTEXITCODE) { throw "gcc $args failed" } }
    Push-Location $src
    try {
        Set-Content data.c 'int shared_value = 42; int shared_func(void) { return 7; }'
        Set-Content nodata.c 'int other_thing = 1;'
        Set-Content copyrel.c "#include <stdio.h>`nextern int shared_value; int main(void) { printf(`"copyrel %d\n`", shared_value); return 0; }"
        Set-Content lazy.c "#include <stdio.h>`nint shared_func(void); int main(int argc, char **argv) { puts(`"lazy started`"); fflush(stdout); if (argc > 1) printf(`"called %d\n`", shared_func()); return 0; }"
        Set-Content hello.c "#include <stdio.h>`nint main(int argc, char **argv) { printf(`"static hello %d\n`", argc); return 0; }"
        Invoke-Gcc -shared -fPIC '-Wl,-soname,libdata.so' -o libdata.so data.c
        # The library the programs get in the image lacks what they were linked against.
        Invoke-Gcc -shared -fPIC '-Wl,-soname,libdata.so' -o bad/libdata.so nodata.c
        Invoke-Gcc -fPIE -pie -o copyrel copyrel.c -L. -ldata
        Invoke-Gcc -fPIE -pie -o lazy lazy.c -L. -ldata
        Invoke-Gcc -fPIE -pie '-Wl,-z,now' -o lazynow lazy.c -L. -ldata
        & gcc -static -o static hello.c 2>$null
        $hasStatic = $LASTEXITCODE -eq 0
    }
    finally { Pop-Location }
    $bad = Join-Path $src 'bad'
    $built = @('copyrel', 'lazy', 'lazynow') | ForEach-Object { Join-Path $src $_ }
    $hostPrograms = @('/usr/bin/busybox', '/usr/bin/diff', '/usr/bin/make') | Where-Object { Test-Path $_ }

    if ($osv.Loader) {
        New-RealOsvRepository (Join-Path $TestDrive 'capstan') $osv | Out-Null
        $project = Join-Path $TestDrive 'linkers'
        New-OsvProject $project -BootCommand '/lazy' | Out-Null
        $inputs = @($built) + @($hostPrograms) + @(if ($hasStatic) { Join-Path $src 'static' })
        Add-OsvBinary $inputs -Project $project -LibraryPath $bad -WarningAction SilentlyContinue | Out-Null
        $linux = @{}
        Add-OsvBinary (@($built) + @($hostPrograms)) -Project $project -LibraryPath $bad -LinuxLinker -WarningAction SilentlyContinue |
            Where-Object BootCommand | ForEach-Object { $linux[(Split-Path -Leaf $_.SourcePath)] = $_.BootCommand }
        $image = Build-OsvImage $project
        $reports = @{}
        Test-OsvBinary $inputs -LibraryPath $bad | ForEach-Object { $reports[(Split-Path -Leaf $_.Path)] = $_ }
    }

    # The start command of a program of the image for a way of running.
    function Get-Boot([string] $Name, [string] $Way) { if ($Way -eq 'LinuxLinker') { $linux[$Name] } else { "/$Name" } }
}

AfterAll {
    Stop-TestInstances
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'Verdicts against the real kernel, booted straight into it' {
    It '<Program> on <Way>: <Verdict>, and the kernel agrees (<Case>)' -ForEach @(
        @{ Case = 'a copy relocation to a missing symbol'; Program = 'copyrel'; Way = 'OsvLinker'; Verdict = 'FailsAtLoad'; Arguments = ''; Expect = '^copyrel'; Line = 'failed looking up symbol shared_value in other objects' }
        @{ Case = 'a copy relocation to a missing symbol'; Program = 'copyrel'; Way = 'LinuxLinker'; Verdict = 'FailsAtLoad'; Arguments = ''; Expect = '^copyrel'; Line = 'undefined symbol: shared_value' }
        @{ Case = 'only lazily missing symbols, not called'; Program = 'lazy'; Way = 'OsvLinker'; Verdict = 'RunsUnlessCalled'; Arguments = ''; Expect = '^lazy started'; Line = $null }
        @{ Case = 'only lazily missing symbols, called'; Program = 'lazy'; Way = 'OsvLinker'; Verdict = 'RunsUnlessCalled'; Arguments = 'call'; Expect = '^called'; Line = 'failed looking up symbol shared_func' }
        @{ Case = 'only lazily missing symbols, called'; Program = 'lazy'; Way = 'LinuxLinker'; Verdict = 'RunsUnlessCalled'; Arguments = 'call'; Expect = '^called'; Line = 'undefined symbol: shared_func' }
        # OSv binds what it finds under BIND_NOW and leaves the missing ones lazy (core/elf.cc, relocate_pltgot).
        @{ Case = '-Wl,-z,now, not called'; Program = 'lazynow'; Way = 'OsvLinker'; Verdict = 'RunsUnlessCalled'; Arguments = ''; Expect = '^lazy started'; Line = $null }
        @{ Case = '-Wl,-z,now, called'; Program = 'lazynow'; Way = 'OsvLinker'; Verdict = 'RunsUnlessCalled'; Arguments = 'call'; Expect = '^called'; Line = 'failed looking up symbol shared_func' }
        @{ Case = '-Wl,-z,now'; Program = 'lazynow'; Way = 'LinuxLinker'; Verdict = 'FailsAtLoad'; Arguments = ''; Expect = '^lazy started'; Line = 'undefined symbol: shared_func' }
        @{ Case = 'a static executable'; Program = 'static'; Way = 'OsvLinker'; Verdict = 'Runs'; Arguments = 'a b'; Expect = '^static hello 3'; Line = $null }
        @{ Case = 'busybox, which OSv''s linker cannot start'; Program = 'busybox'; Way = 'OsvLinker'; Verdict = 'FailsAtLoad'; Arguments = 'echo busybox-ok'; Expect = '^busybox-ok'; Line = 'failed looking up symbol re_syntax_options in other objects' }
        @{ Case = 'busybox through Linux''s linker'; Program = 'busybox'; Way = 'LinuxLinker'; Verdict = 'Runs'; Arguments = 'ls /'; Expect = '\bbusybox\b'; Line = $null }
        @{ Case = 'diff comparing two files through Linux''s linker'; Program = 'diff'; Way = 'LinuxLinker'; Verdict = 'Runs'; Arguments = '/etc/hosts /etc/fstab'; Expect = '^[<>] '; Line = $null }
        @{ Case = 'diff, which calls re_set_syntax at once'; Program = 'diff'; Way = 'OsvLinker'; Verdict = 'RunsUnlessCalled'; Arguments = '--version'; Expect = 'GNU diffutils'; Line = 'failed looking up symbol re_set_syntax' }
        @{ Case = 'make through Linux''s linker'; Program = 'make'; Way = 'LinuxLinker'; Verdict = 'Runs'; Arguments = '--version'; Expect = '^GNU Make'; Line = $null }
    ) {
        if (Skip-WithoutOsv $osv) { return }
        if (-not $reports[$Program]) { Set-ItResult -Skipped -Because "$Program is not here (busybox, diffutils and make come from apt-get; a static build needs libc6-dev)"; return }
        $report = $reports[$Program]
        "$($report.VerdictOf($Way))" | Should -Be $Verdict -Because $report.ReasonOf($Way)
        $missing = @(($Way -eq 'LinuxLinker' ? $report.LinuxMissingSymbols : $report.MissingSymbols).Name)
        $guest = Invoke-Guest $image ("$(Get-Boot $Program $Way) $Arguments".Trim()) $Expect
        $text = $guest.Lines -join "`n"
        if ($Line) { $text | Should -Match ([regex]::Escape($Line)) } else { $guest.Ran | Should -BeTrue -Because $text }
        Test-Agreement $Verdict $missing $guest | Should -BeTrue -Because "the kernel $($guest.What): $text"
    }

    It 'starts each program the recommended way, and Compatible says so' {
        if (Skip-WithoutOsv $osv) { return }
        foreach ($name in 'lazy', 'lazynow', 'busybox', 'diff', 'make', 'static') {
            $report = $reports[$name]
            if (-not $report) { continue }
            $report.Compatible | Should -BeTrue -Because $name
            $guest = Invoke-Guest $image (Get-Boot $name "$($report.RecommendedWay)") '.'
            $guest.Symbols | Should -BeNullOrEmpty -Because "$name on $($report.RecommendedWay): $($guest.Lines -join "`n")"
        }
        $reports['copyrel'].Compatible | Should -BeFalse -Because 'neither way finds shared_value'
    }
}

Describe 'A .so exporting main, as OSv''s apps are built, on the real kernel' {
    It 'lands at /echo.so and runs, added from a build folder beside the project and from inside it (<Mode>)' -ForEach @(
        @{ Mode = 'Kernel' }, @{ Mode = 'Disk' }
    ) {
        if (Skip-WithoutOsv $osv) { return }
        $seed = Join-Path $TestDrive "seed-$Mode"
        $demo = Join-Path $seed 'demo'
        New-OsvProject $demo -BootCommand '/echo.so Hey hey' | Out-Null
        New-Item -ItemType Directory (Join-Path $seed 'build') | Out-Null
        Set-Content (Join-Path $seed 'echo.c') "#include <stdio.h>`nint main(int argc, char **argv) { for (int i = 1; i < argc; i++) { if (i > 1) putchar(' '); fputs(argv[i], stdout); } putchar(10); return 0; }"
        & gcc -fPIC -shared -o (Join-Path $seed 'build/echo.so') (Join-Path $seed 'echo.c')
        & gcc -fPIC -shared -o (Join-Path $demo 'echo.so') (Join-Path $seed 'echo.c')
        Push-Location (Join-Path $seed 'build')
        try { $beside = Get-ChildItem *.so | Add-OsvBinary -Project ../demo -Force }
        finally { Pop-Location }
        Push-Location $demo
        try { $inside = Get-ChildItem *.so | Add-OsvBinary -Force }
        finally { Pop-Location }
        $beside.GuestPath | Should -Be '/echo.so'
        $inside.GuestPath | Should -Be '/echo.so'
        Test-Path (Join-Path $demo 'usr/lib/echo.so') | Should -BeFalse
        $guest = Invoke-Guest (Build-OsvImage $demo) "$($inside.BootCommand) Hey hey" '^Hey hey$' -Mode $Mode
        $guest.Ran | Should -BeTrue -Because ($guest.Lines -join "`n")
    }
}

Describe 'Verdicts against the real kernel, booted from disk' {
    It '<Program> on <Way> from disk' -ForEach @(
        @{ Program = 'busybox'; Way = 'LinuxLinker'; Arguments = 'ls /'; Expect = '\bbusybox\b'; Ran = $true }
        @{ Program = 'copyrel'; Way = 'OsvLinker'; Arguments = ''; Expect = '^copyrel'; Ran = $false }
        @{ Program = 'static'; Way = 'OsvLinker'; Arguments = 'x'; Expect = '^static hello 2'; Ran = $true }
    ) {
        if (Skip-WithoutOsv $osv) { return }
        if (-not $reports[$Program]) { Set-ItResult -Skipped -Because "$Program is not here"; return }
        $guest = Invoke-Guest $image ("$(Get-Boot $Program $Way) $Arguments".Trim()) $Expect -Mode Disk
        $guest.Ran | Should -Be $Ran -Because ($guest.Lines -join "`n")
        Test-Agreement $reports[$Program].VerdictOf($Way) @($reports[$Program].MissingSymbols.Name) $guest | Should -BeTrue
    }
}

Describe 'Verdicts on the Debian programs installed here, against the kernel' {
    BeforeAll {
        # The programs of issue 21 with an argument that makes each print its version (or a line of its own).
        $debian = [ordered]@{
            busybox = 'echo busybox-ok|^busybox-ok'; ls = '--version|ls \(GNU coreutils\)'; sqlite3 = '--version|^3\.'; 'lua5.4' = '-v|Lua 5\.4'
            gzip = '--version|^gzip 1\.'; xz = '--version|xz \(XZ Utils\)'; jq = '--version|^jq-1\.'; openssl = 'version|^OpenSSL 3'; zstd = '--version|Zstandard'
            'redis-server' = '--version|Redis server v='; nginx = '-v|nginx version'; tar = '--version|tar \(GNU tar\)'; grep = '--version|grep \(GNU grep\)'
            sed = '--version|sed \(GNU sed\)'; find = '--version|find \(GNU findutils\)'; diff = '--version|diff \(GNU diffutils\)'; make = '--version|^GNU Make'
            bc = '--version|^bc 1\.'; file = '--version|^file-5'; memcached = '--version|^memcached 1\.'; lighttpd = '-v|lighttpd/1\.'; curl = '--version|^curl \d'
            perl = '-v|This is perl 5'; git = '--version|^git version'; gpg = '--version|gpg \(GnuPG\)'
        }
        $found = foreach ($name in $debian.Keys) {
            $command = Get-Command $name -CommandType Application -ErrorAction Ignore | Select-Object -First 1
            if ($command) { [pscustomobject]@{ Name = $name; Path = $command.Source; Arguments = $debian[$name].Split('|')[0]; Expect = $debian[$name].Split('|')[1] } }
        }
        $rows = [Collections.Generic.List[object]]::new()
        if ($osv.Loader -and $found) {
            $debianProject = Join-Path $TestDrive 'debian'
            New-OsvProject $debianProject -BootCommand '/ls' | Out-Null
            Add-OsvBinary $found.Path -Project $debianProject -WarningAction SilentlyContinue | Out-Null
            $debianLinux = @{}
            Add-OsvBinary $found.Path -Project $debianProject -LinuxLinker -WarningAction SilentlyContinue | Where-Object BootCommand |
                ForEach-Object { $debianLinux[$_.SourcePath] = $_.BootCommand }
            $debianImage = Build-OsvImage $debianProject
            $debianReports = @{}
            Test-OsvBinary $found.Path | ForEach-Object { $debianReports[$_.Path] = $_ }
        }
    }

    AfterAll {
        if ($rows.Count) {
            Write-Host "`nTest-OsvBinary against the kernel, $($found.Count) Debian programs (straight into the kernel):"
            Write-Host ($rows | Format-Table Program, Way, Verdict, Kernel, Agrees -AutoSize | Out-String -Width 200)
        }
    }

    It 'agrees with the kernel on <Name> for both ways, and Compatible is true when the recommended way starts it' -ForEach @(
        'busybox', 'ls', 'sqlite3', 'lua5.4', 'gzip', 'xz', 'jq', 'openssl', 'zstd', 'redis-server', 'nginx', 'tar', 'grep', 'sed', 'find', 'diff', 'make',
        'bc', 'file', 'memcached', 'lighttpd', 'curl', 'perl', 'git', 'gpg' | ForEach-Object { @{ Name = $_ } }
    ) {
        if (Skip-WithoutOsv $osv) { return }
        $program = $found | Where-Object Name -eq $Name
        if (-not $program) { Set-ItResult -Skipped -Because "$Name is not installed here"; return }
        $report = $debianReports[$program.Path]
        $started = @{}
        foreach ($way in 'OsvLinker', 'LinuxLinker') {
            $boot = if ($way -eq 'LinuxLinker') { $debianLinux[$program.Path] } else { '/' + (Split-Path -Leaf $program.Path) }
            $guest = Invoke-Guest $debianImage "$boot $($program.Arguments)" $program.Expect
            $missing = @(($way -eq 'LinuxLinker' ? $report.LinuxMissingSymbols : $report.MissingSymbols).Name)
            $agrees = Test-Agreement $report.VerdictOf($way) $missing $guest
            # OSv calls main(argc, argv) without envp (core/app.cc, application::run_main): make reads its third
            # argument and faults at once. No symbol is missing; the verdict cannot see it.
            $known = $Name -eq 'make' -and $way -eq 'OsvLinker' -and ($guest.Lines -match '^Aborted')
            $rows.Add([pscustomobject]@{ Program = $Name; Way = $way; Verdict = $report.VerdictOf($way); Kernel = $guest.What; Agrees = $(if ($agrees) { 'yes' } elseif ($known) { 'no: main gets no envp' } else { 'NO' }) })
            $started[$way] = $guest.Ran
            ($agrees -or $known) | Should -BeTrue -Because "$Name on $way is $($report.VerdictOf($way)) ($($report.ReasonOf($way))); the kernel $($guest.What)"
        }
        $report.Compatible | Should -BeTrue
        $started["$($report.RecommendedWay)"] | Should -BeTrue -Because "the recommended way ($($report.RecommendedWay)) starts $Name"
    }
}
