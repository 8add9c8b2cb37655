# Test-OsvBinary against the real OSv kernel's symbol table (../shared/osv, or OSVPS_TEST_OSV).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $osv = Find-RealOsv
    function Skip-WithoutOsv { if (-not $osv.Loader) { Set-ItResult -Skipped -Because $osv.Reason; return $true } $false }
    $src = Join-Path $TestDrive 'src'
    New-Item -ItemType Directory $src | Out-Null
    function Build-C([string] $Name, [string] $Code, [string[]] $Flags = @('-fPIE', '-pie')) {
        $c = Join-Path $src "$Name.c"
        Set-Content -LiteralPath $c -Value $Code
        & gcc @Flags -O1 -o (Join-Path $src $Name) $c
        if ($LASTEXITCODE) { throw "gcc failed on $Name" }
        Join-Path $src $Name
    }
    $plain = Build-C 'plain' "#include <stdio.h>`nint main(void) { puts(`"plain`"); return 0; }"
    $forks = Build-C 'forks' "#include <unistd.h>`nint main(void) { return fork() > 0; }"
    $static = Build-C 'static' "int main(void) { return 0; }" @('-static')
    $probe = New-OsvProbe (Join-Path $src 'probe')
    if ($osv.Loader) {
        New-RealOsvRepository (Join-Path $TestDrive 'capstan') $osv | Out-Null
        $kernel = Join-Path $env:CAPSTAN_ROOT 'kernel.elf'
        # libgcc_s as osv.bootstrap brings it, for the readelf oracle.
        $bootstrap = Join-Path $TestDrive 'bootstrap'
        New-Item -ItemType Directory $bootstrap | Out-Null
        & tar -xzf $osv.Bootstrap -C $bootstrap
        $libGcc = Get-ChildItem -Recurse -LiteralPath $bootstrap -Filter 'libgcc_s.so.1' | Select-Object -First 1 -ExpandProperty FullName
    }

    # The rule, computed with readelf alone: the UND GLOBAL names of the program and of the libraries
    # it carries, less what any of them, libgcc_s or the kernel defines (GLOBAL, WEAK or UNIQUE).
    function Get-ReadelfSymbols([string] $Path) {
        $defined = [Collections.Generic.HashSet[string]]::new([StringComparer]::Ordinal)
        $needed = [Collections.Generic.HashSet[string]]::new([StringComparer]::Ordinal)
        foreach ($line in & readelf --dyn-syms -W $Path) {
            $f = -split $line
            if ($f.Count -lt 8 -or $f[0] -notmatch '^\d+:$' -or $f[3] -in 'SECTION', 'FILE') { continue }
            $name = ($f[7] -split '@')[0]
            if (-not $name) { continue }
            if ($f[6] -eq 'UND') { if ($f[4] -eq 'GLOBAL') { [void]$needed.Add($name) } }
            elseif ($f[4] -in 'GLOBAL', 'WEAK', 'UNIQUE') { [void]$defined.Add($name) }
        }
        [pscustomobject]@{ Defined = $defined; Needed = $needed }
    }
}

AfterAll { $env:CAPSTAN_ROOT = $savedRoot }

Describe 'Test-OsvBinary' {
    Context 'metadata' {
        It 'binds LiteralPath from Get-ChildItem and returns OsvBinaryCompatibility' {
            $command = Get-Command Test-OsvBinary
            ($command.Parameters['LiteralPath'].Attributes | Where-Object { $_ -is [Parameter] }).ValueFromPipelineByPropertyName | Should -BeTrue
            $command.Parameters['LiteralPath'].Aliases | Should -Contain 'PSPath'
            $command.OutputType.Type.FullName | Should -Be 'OsvPS.Core.Models.OsvBinaryCompatibility'
        }

        It 'says how to get a kernel when the loader has none' {
            $env:CAPSTAN_ROOT = Join-Path $TestDrive 'empty-repository'
            try { { Test-OsvBinary $plain -ErrorAction Stop } | Should -Throw -ErrorId 'KernelNotFound,*' -ExpectedMessage '*Save-OsvImage osv-loader*' }
            finally { $env:CAPSTAN_ROOT = Join-Path $TestDrive 'capstan' }
        }
    }

    Context 'on the real kernel''s symbols' {
        It 'finds a program compiled here compatible, and one calling tdelete not' {
            if (Skip-WithoutOsv) { return }
            $ok = Test-OsvBinary $plain
            $ok.Compatible | Should -BeTrue
            $ok.MissingSymbols | Should -BeNullOrEmpty
            $ok.Kernel | Should -Be (Join-Path $env:CAPSTAN_ROOT 'repository/osv-loader/osv-loader.elf')
            $bad = Test-OsvBinary -LiteralPath $probe
            $bad.Compatible | Should -BeFalse
            $bad.MissingSymbols.Name | Should -Be @('tdelete')
            $bad.MissingSymbols[0].RequiredBy | Should -Be @($probe)
        }

        It 'says so for a static executable and for fork' {
            if (Skip-WithoutOsv) { return }
            $s = Test-OsvBinary $static
            $s.Compatible | Should -BeFalse
            $s.Kind | Should -Be 'StaticExecutable'
            $s.Notes -join ' ' | Should -Match 'static executable'
            (Test-OsvBinary $forks).Notes -join ' ' | Should -Match 'fork .*one program'
        }

        It 'finds Debian''s ls not compatible (lgetxattr) and gzip compatible' {
            if (Skip-WithoutOsv) { return }
            $ls, $gzip = Test-OsvBinary /usr/bin/ls, /usr/bin/gzip
            $ls.Compatible | Should -BeFalse
            $ls.MissingSymbols.Name | Should -Contain 'lgetxattr'
            $ls.Libraries | Where-Object { $_ -like '*libselinux.so.1' } | Should -Not -BeNullOrEmpty
            $gzip.Compatible | Should -BeTrue
        }

        It 'agrees with readelf on 40 host programs' {
            if (Skip-WithoutOsv) { return }
            $kernelSymbols = Get-ReadelfSymbols $kernel
            $gccSymbols = Get-ReadelfSymbols $libGcc
            $programs = Get-ChildItem -File /usr/bin | Sort-Object Name |
                Where-Object { (& readelf -h $_.FullName 2>$null) -match 'DYN \(Position-Independent Executable' } | Select-Object -First 40
            $programs.Count | Should -Be 40
            $memo = @{}
            foreach ($program in $programs) {
                $report = Test-OsvBinary -LiteralPath $program.FullName
                $objects = @($program.FullName) + @($report.Libraries)
                # The carried libraries are what ldd maps (a separate test checks the set against ldd).
                $ldd = (& ldd $program.FullName) -join "`n"
                foreach ($library in $report.Libraries) { $ldd | Should -Match ([regex]::Escape((Split-Path -Leaf $library))) }
                $tables = foreach ($o in $objects) { if (-not $memo[$o]) { $memo[$o] = Get-ReadelfSymbols $o }; $memo[$o] }
                $expected = foreach ($t in $tables) {
                    foreach ($name in $t.Needed) {
                        if (-not $kernelSymbols.Defined.Contains($name) -and -not $gccSymbols.Defined.Contains($name) -and
                            -not ($tables | Where-Object { $_.Defined.Contains($name) })) { $name }
                    }
                }
                $expected = @($expected | Sort-Object -Unique -CaseSensitive)
                $actual = @($report.MissingSymbols.Name | Sort-Object -CaseSensitive)
                ($actual -join ',') | Should -Be ($expected -join ',') -Because $program.FullName
                $report.Compatible | Should -Be ($expected.Count -eq 0 -and -not ($report.Notes -match 'not found')) -Because $program.FullName
            }
        }

        It 'is right about what the kernel then does: the compatible program runs, the other fails on its symbol' {
            if (Skip-WithoutOsv) { return }
            $project = Join-Path $TestDrive 'both'
            New-OsvProject $project -BootCommand '/plain' | Out-Null
            Add-OsvBinary $plain, $probe -Project $project -WarningAction SilentlyContinue | Out-Null
            $image = Build-OsvImage $project
            $good = Start-OsvInstance $image -Name good -BootMode Kernel -CommandLine '/plain' -Wait -Timeout 60
            $good | Should -Contain 'plain'
            ($good | Select-Object -Last 1).State | Should -Be 'Stopped'
            $bad = Start-OsvInstance $image -Name bad -BootMode Kernel -CommandLine '/probe nosym' -Wait -Timeout 60 -ErrorAction SilentlyContinue
            $bad | Should -Contain '/probe: failed looking up symbol tdelete'
            ($bad | Select-Object -Last 1).State | Should -Be 'Failed'
        }

        It 'makes Add-OsvBinary warn once for an input the kernel cannot run, and not for one it can' {
            if (Skip-WithoutOsv) { return }
            $project = Join-Path $TestDrive 'warned'
            New-OsvProject $project -BootCommand '/plain' | Out-Null
            Add-OsvBinary $plain, $probe -Project $project -WarningVariable warned -WarningAction SilentlyContinue | Out-Null
            $warned.Count | Should -Be 1
            "$($warned[0])" | Should -Match 'tdelete'
            "$($warned[0])" | Should -Match ([regex]::Escape($probe))
        }
    }
}
