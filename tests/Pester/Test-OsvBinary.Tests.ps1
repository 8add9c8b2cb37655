# Test-OsvBinary against the real OSv kernel's symbol table (OSVPS_TEST_OSV, else /var/lib/osvps/test-osv).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $osv = Find-RealOsv
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
    # A program exporting what its plugin takes from it (a call and a variable).
    $hostProgram = Build-C 'host' "#include <stdio.h>`nint host_counter = 3; int host_api(int x) { return x + host_counter; } int main(void) { puts(`"host`"); return 0; }" @('-fPIE', '-pie', '-rdynamic')
    $plugin = Build-C 'plugin.so' 'extern int host_counter; int host_api(int); int plugin_entry(void) { return host_api(host_counter); }' @('-fPIC', '-shared')
    if ($osv.Loader) {
        New-RealOsvRepository (Join-Path $TestDrive 'capstan') $osv | Out-Null
        $kernel = Join-Path $env:CAPSTAN_ROOT 'kernel.elf'
        # libgcc_s as osv.bootstrap brings it, for the readelf oracle.
        $bootstrap = Join-Path $TestDrive 'bootstrap'
        New-Item -ItemType Directory $bootstrap | Out-Null
        & tar -xzf $osv.Bootstrap -C $bootstrap
        $libGcc = Get-ChildItem -Recurse -LiteralPath $bootstrap -Filter 'libgcc_s.so.1' | Select-Object -First 1 -ExpandProperty FullName
    }

    # Boots a project of the given files on the real kernel (OSv's linker, or Linux's with -Linux) and returns the console lines and the final state.
    function Invoke-OnKernel([string] $Name, [string[]] $Files, [string] $Command, [switch] $Linux, [hashtable] $Extra = @{}) {
        $project = Join-Path $TestDrive "kernel-$Name"
        New-OsvProject $project -BootCommand $Command | Out-Null
        Add-OsvBinary $Files -Project $project -LinuxLinker:$Linux -WarningAction SilentlyContinue | Out-Null
        foreach ($file in $Extra.Keys) { Set-Content -LiteralPath (Join-Path $project $file) -Value $Extra[$file] }
        $line = if ($Linux) { "/lib64/ld-linux-x86-64.so.2 $Command" } else { $Command }
        $out = Start-OsvInstance (Build-OsvImage $project) -Name $Name -BootMode Kernel -CommandLine $line -Wait -Timeout 90 -ErrorAction SilentlyContinue
        [pscustomobject]@{ Lines = (Get-ConsoleLines $out) -join "`n"; State = "$((Get-FinalInstance $out).State)" }
    }

    # OSv's rule, computed with readelf alone: each relocation's symbol (readelf -r: the Info word's index and type)
    # that is undefined in its object and not weak (or that a copy relocation takes), looked up in the program, its
    # libraries, libgcc_s when one of them needs it, and the kernel; a definition of a hidden version (readelf writes
    # name@VER, not name@@VER) does not count. Copy and TLS relocations fail at load, the rest when used.
    function Get-ReadelfObject([string] $Path) {
        $defined = [Collections.Generic.HashSet[string]]::new([StringComparer]::Ordinal)
        $byIndex = @{}
        foreach ($line in & readelf --dyn-syms -W $Path) {
            $f = -split $line
            if ($f.Count -lt 8 -or $f[0] -notmatch '^(\d+):$') { continue }
            $index = [int]$Matches[1]
            $name = ($f[7] -split '@')[0]
            if (-not $byIndex.ContainsKey($index)) { $byIndex[$index] = @{ Name = $name; Bind = $f[4]; Ndx = $f[6] } }
            if ($name -and $f[6] -ne 'UND' -and $f[4] -in 'GLOBAL', 'WEAK', 'UNIQUE' -and $f[3] -notin 'SECTION', 'FILE' -and $f[7] -notmatch '^[^@]+@[^@]') { [void]$defined.Add($name) }
        }
        $references = foreach ($line in & readelf -r -W $Path) {
            $f = -split $line
            if ($f.Count -lt 3 -or $f[1] -notmatch '^[0-9a-f]{16}$') { continue }
            $info = [Convert]::ToUInt64($f[1], 16)
            $type = [int]($info -band 4294967295); $symbol = [int]($info -shr 32)
            $s = $byIndex[$symbol]
            if ($symbol -eq 0 -or $s.Bind -eq 'LOCAL' -or ($s.Ndx -ne 'UND' -and $type -ne 5)) { continue }
            if ($s.Bind -eq 'WEAK' -and $type -ne 5) { continue }
            [pscustomobject]@{ Name = $s.Name; AtLoad = $type -in 5, 16, 17, 18, 36; Copy = $type -eq 5 }
        }
        $needsGcc = [bool]((& readelf -d -W $Path) -match 'Shared library: \[libgcc_s\.so\.1\]')
        [pscustomobject]@{ Path = $Path; Defined = $defined; References = @($references); NeedsGcc = $needsGcc }
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
        It 'finds a program compiled here running on both, and one calling tdelete running unless it calls it' {
            if (Skip-WithoutOsv $osv) { return }
            $ok = Test-OsvBinary $plain
            $ok.Compatible | Should -BeTrue
            $ok.OsvLinker | Should -Be 'Runs'
            $ok.LinuxLinker | Should -Be 'Runs'
            $ok.RecommendedWay | Should -Be 'OsvLinker'
            $ok.MissingSymbols | Should -BeNullOrEmpty
            $ok.Kernel | Should -Be (Join-Path $env:CAPSTAN_ROOT 'repository/osv-loader/osv-loader.elf')
            $lazy = Test-OsvBinary -LiteralPath $probe
            $lazy.OsvLinker | Should -Be 'RunsUnlessCalled'
            $lazy.OsvLinkerReason | Should -Match 'stops if it calls tdelete'
            $lazy.LinuxLinker | Should -Be 'Runs'
            $lazy.RecommendedWay | Should -Be 'LinuxLinker'
            $lazy.Compatible | Should -BeTrue -Because 'the recommended way starts it'
            $lazy.MissingSymbols.Name | Should -Be @('tdelete')
            $lazy.MissingSymbols[0].Object | Should -Be $probe
            $lazy.MissingSymbols[0].Relocation | Should -Be 'R_X86_64_JUMP_SLOT'
            $lazy.MissingSymbols[0].AtLoad | Should -BeFalse
            $lazy.LinuxLibraries | Where-Object { $_ -like '*/libc.so.6' } | Should -Not -BeNullOrEmpty
        }

        It 'runs a static executable directly, and finds fork' {
            if (Skip-WithoutOsv $osv) { return }
            $s = Test-OsvBinary $static
            $s.Compatible | Should -BeTrue
            $s.Kind | Should -Be 'StaticExecutable'
            $s.IsProgram | Should -BeTrue
            $s.OsvLinker | Should -Be 'Runs'
            $s.LinuxLinker | Should -Be 'CannotRun'
            $s.Notes -join ' ' | Should -Match 'static executable'
            $f = (Test-OsvBinary $forks).Findings
            $f.Rule | Should -Be @('ProcessCalls')
            "$($f[0].Evidence)" | Should -Be 'fork (forks)'
        }

        It 'finds what kills busybox at load, a copy relocation of re_syntax_options, and recommends Linux''s linker' {
            if (Skip-WithoutOsv $osv) { return }
            if (-not (Test-Path /usr/bin/busybox)) { Set-ItResult -Skipped -Because 'busybox is not installed (apt-get install busybox)'; return }
            $b = Test-OsvBinary /usr/bin/busybox
            $b.OsvLinker | Should -Be 'FailsAtLoad'
            $copy = $b.MissingSymbols | Where-Object Name -eq 're_syntax_options'
            $copy.Relocation | Should -Be 'R_X86_64_COPY'
            $copy.AtLoad | Should -BeTrue
            $copy.Object | Should -Be /usr/bin/busybox
            $b.OsvLinkerReason | Should -Match 're_syntax_options \(COPY in busybox\)'
            $b.LinuxLinker | Should -Be 'Runs'
            $b.RecommendedWay | Should -Be 'LinuxLinker'
            $b.Compatible | Should -BeTrue
        }

        It 'finds Debian''s ls running unless it calls lgetxattr, and gzip running' {
            if (Skip-WithoutOsv $osv) { return }
            $ls, $gzip = Test-OsvBinary /usr/bin/ls, /usr/bin/gzip
            $ls.OsvLinker | Should -Be 'RunsUnlessCalled'
            $ls.MissingSymbols.Name | Should -Contain 'lgetxattr'
            ($ls.MissingSymbols | Where-Object Name -eq 'lgetxattr').Object | Should -BeLike '*libselinux.so.1'
            $ls.Libraries | Where-Object { $_ -like '*libselinux.so.1' } | Should -Not -BeNullOrEmpty
            $gzip.OsvLinker | Should -Be 'Runs'
            $gzip.RecommendedWay | Should -Be 'OsvLinker'
        }

        It 'counts a plugin''s symbols defined when -LoadedBy names its program' {
            if (Skip-WithoutOsv $osv) { return }
            $alone = Test-OsvBinary $plugin
            $alone.IsProgram | Should -BeFalse
            $alone.OsvLinker | Should -Be 'RunsUnlessCalled'
            $alone.MissingSymbols.Name | Sort-Object | Should -Be @('host_api', 'host_counter')
            $alone.LinuxLinker | Should -Be 'FailsAtLoad' -Because 'glibc binds data references at load'
            $loaded = Test-OsvBinary $plugin -LoadedBy $hostProgram
            $loaded.OsvLinker | Should -Be 'Runs'
            $loaded.LinuxLinker | Should -Be 'Runs'
        }

        It 'agrees with readelf on 40 host programs' {
            if (Skip-WithoutOsv $osv) { return }
            $kernelObject = Get-ReadelfObject $kernel
            $gccObject = Get-ReadelfObject $libGcc
            $programs = Get-ChildItem -File /usr/bin | Sort-Object Name |
                Where-Object { (& readelf -h $_.FullName 2>$null) -match 'DYN \(Position-Independent Executable' } | Select-Object -First 40
            $programs.Count | Should -Be 40
            $memo = @{}
            foreach ($program in $programs) {
                $report = Test-OsvBinary -LiteralPath $program.FullName
                # The carried libraries are what ldd maps (a separate test checks the set against ldd).
                $ldd = (& ldd $program.FullName) -join "`n"
                foreach ($library in $report.Libraries) { $ldd | Should -Match ([regex]::Escape((Split-Path -Leaf $library))) }
                $objects = foreach ($o in @($program.FullName) + @($report.Libraries)) { if (-not $memo[$o]) { $memo[$o] = Get-ReadelfObject $o }; $memo[$o] }
                $definers = @($objects) + @($kernelObject) + $(if ($objects | Where-Object NeedsGcc) { $gccObject })
                $expected = foreach ($o in $objects) {
                    foreach ($r in $o.References) {
                        $others = if ($r.Copy) { $definers | Where-Object { $_ -ne $o } } else { $definers }
                        if (-not ($others | Where-Object { $_.Defined.Contains($r.Name) })) { "$($r.Name)/$($r.AtLoad)" }
                    }
                }
                $expected = @($expected | Sort-Object -Unique -CaseSensitive)
                $actual = @($report.MissingSymbols | ForEach-Object { "$($_.Name)/$($_.AtLoad)" } | Sort-Object -Unique -CaseSensitive)
                ($actual -join ',') | Should -Be ($expected -join ',') -Because $program.FullName
                $verdict = if ($expected -match '/True$') { 'FailsAtLoad' } elseif ($expected.Count) { 'RunsUnlessCalled' } else { 'Runs' }
                if (-not ($report.Notes -match 'not found')) { "$($report.OsvLinker)" | Should -Be $verdict -Because $program.FullName }
            }
        }

        It 'is right about what the kernel then does: the compatible program runs, the other fails on its symbol' {
            if (Skip-WithoutOsv $osv) { return }
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

        It 'finds a program whose thread-local storage is over what the kernel keeps for one CannotRun on OSv''s linker, and the kernel says so too' {
            if (Skip-WithoutOsv $osv) { return }
            # 4 KiB of thread-local storage, touched so the compiler keeps it; and 64 bytes, within the kernel's reservation.
            $bigTls = Build-C 'bigtls' "#include <stdio.h>`n__thread char block[4096];`nint main(void) { block[4095] = 1; puts(`"tls`"); return block[0]; }"
            $smallTls = Build-C 'smalltls' "#include <stdio.h>`n__thread char block[64];`nint main(void) { block[63] = 1; puts(`"tls`"); return block[0]; }"
            $big = Test-OsvBinary $bigTls
            $big.OsvLinker | Should -Be 'CannotRun'
            $big.OsvLinkerReason | Should -Match "thread-local storage \(4096 bytes\) is over the 512 bytes"
            ($big.LinuxLinker, $big.RecommendedWay) | Should -Be @('Runs', 'LinuxLinker')
            (Test-OsvBinary $smallTls).OsvLinker | Should -Be 'Runs'
            # The kernel's own word, booted on OSv's linker.
            $project = Join-Path $TestDrive 'tls'
            New-OsvProject $project -BootCommand '/bigtls' | Out-Null
            Add-OsvBinary $bigTls -Project $project -WarningAction SilentlyContinue | Out-Null
            $out = Start-OsvInstance (Build-OsvImage $project) -Name bigtls -BootMode Kernel -CommandLine '/bigtls' -Wait -Timeout 60 -ErrorAction SilentlyContinue
            ($out | Where-Object { $_ -is [string] }) -join "`n" | Should -Match 'is a PIE using TLS of size 4096 which is greater than the \d+ bytes limit'
            ($out | Select-Object -Last 1).State | Should -Be 'Failed'
        }

        It 'makes Add-OsvBinary warn once for an input that will not start the way it is added, naming the way that would' {
            if (Skip-WithoutOsv $osv) { return }
            $project = Join-Path $TestDrive 'warned'
            New-OsvProject $project -BootCommand '/plain' | Out-Null
            Add-OsvBinary $plain, $probe, $static -Project $project -WarningVariable warned -WarningAction SilentlyContinue | Out-Null
            $warned.Count | Should -Be 1
            "$($warned[0])" | Should -Match 'tdelete'
            "$($warned[0])" | Should -Match ([regex]::Escape($probe))
            "$($warned[0])" | Should -Match 'add it with -LinuxLinker'
            Add-OsvBinary $probe -Project $project -LinuxLinker -Force -WarningVariable linuxWarned -WarningAction SilentlyContinue | Out-Null
            $linuxWarned.Count | Should -Be 0 -Because 'Linux''s linker runs it whole'
        }

        It 'makes Add-OsvBinary warn about busybox on OSv''s linker, and not with -LinuxLinker' {
            if (Skip-WithoutOsv $osv) { return }
            if (-not (Test-Path /usr/bin/busybox)) { Set-ItResult -Skipped -Because 'busybox is not installed (apt-get install busybox)'; return }
            $project = Join-Path $TestDrive 'busybox'
            New-OsvProject $project -BootCommand '/busybox' | Out-Null
            Add-OsvBinary /usr/bin/busybox -Project $project -WarningVariable warned -WarningAction SilentlyContinue | Out-Null
            $warned.Count | Should -Be 1
            "$($warned[0])" | Should -Match 'will not start on OSv''s linker.*re_syntax_options.*add it with -LinuxLinker'
            Add-OsvBinary /usr/bin/busybox -Project $project -LinuxLinker -WarningVariable none -WarningAction SilentlyContinue | Out-Null
            $none.Count | Should -Be 0
        }

        It 'makes Add-OsvBinary warn about a plugin added alone, and not when its program is added with it' {
            if (Skip-WithoutOsv $osv) { return }
            $project = Join-Path $TestDrive 'plugins'
            New-OsvProject $project -BootCommand '/host' | Out-Null
            Add-OsvBinary $plugin -Project $project -GuestPath /usr/lib/plugins/ -WarningVariable alone -WarningAction SilentlyContinue | Out-Null
            $alone.Count | Should -Be 1
            "$($alone[0])" | Should -Match 'host_api'
            $files = Add-OsvBinary $hostProgram, $plugin -Project $project -GuestPath /usr/lib/plugins/ -Force -WarningVariable together -WarningAction SilentlyContinue
            $together.Count | Should -Be 0
            $files.GuestPath | Should -Contain '/usr/lib/plugins/plugin.so'
        }
    }

    Context 'what the kernel does at run time (Findings)' {
        It 'finds fork failing without stopping the program, as the kernel fails it each way' {
            if (Skip-WithoutOsv $osv) { return }
            $forkSays = Build-C 'forksays' "#include <stdio.h>`n#include <unistd.h>`n#include <errno.h>`nint main(void) { errno = 0; int p = fork(); printf(`"fork returned %d errno %d\n`", p, errno); return 0; }"
            $report = Test-OsvBinary $forkSays
            ($report.OsvLinker, $report.LinuxLinker, $report.Compatible) | Should -Be @('Runs', 'Runs', $true)
            $finding = $report.Findings | Where-Object Rule -eq 'ProcessCalls'
            "$($finding.Effect)" | Should -Be 'MayFail'
            $finding.Reason | Should -Match 'fork\(\) and vfork\(\) return -1'
            $onOsv = Invoke-OnKernel 'forks-osv' $forkSays '/forksays'
            $onOsv.Lines | Should -Match 'fork\(\) stubbed'
            $onOsv.Lines | Should -Match 'fork returned -1 errno 0'
            $onOsv.State | Should -Be 'Stopped'
            # glibc's fork is the clone system call without CLONE_THREAD, which OSv answers with ENOSYS (38).
            (Invoke-OnKernel 'forks-linux' $forkSays '/forksays' -Linux).Lines | Should -Match 'fork returned -1 errno 38'
        }

        It 'finds a program that refuses root CannotRun both ways, as the kernel then shows, and Add-OsvBinary says so' {
            if (Skip-WithoutOsv $osv) { return }
            $refuser = Build-C 'refuser' "#include <stdio.h>`n#include <unistd.h>`nint main(void) { if (geteuid() == 0) { puts(`"\`"root\`" execution of the PostgreSQL server is not permitted.`"); return 1; } puts(`"not root`"); return 0; }"
            $report = Test-OsvBinary $refuser
            ($report.OsvLinker, $report.LinuxLinker, $report.RecommendedWay, $report.Compatible) | Should -Be @('CannotRun', 'CannotRun', 'None', $false)
            $report.OsvLinkerReason | Should -Match 'geteuid\(\) always returns 0'
            $report.Findings.Rule | Should -Be @('RootRefusal')
            foreach ($linux in $false, $true) {
                $run = Invoke-OnKernel "refuser-$linux" $refuser '/refuser' -Linux:$linux
                $run.Lines | Should -Match '"root" execution of the PostgreSQL server is not permitted' -Because "geteuid() is 0 (Linux's linker: $linux)"
                $run.Lines | Should -Not -Match 'not root'
            }
            $project = Join-Path $TestDrive 'refuser-warned'
            New-OsvProject $project -BootCommand '/refuser' | Out-Null
            Add-OsvBinary $refuser -Project $project -WarningVariable warned -WarningAction SilentlyContinue | Out-Null
            $warned.Count | Should -Be 1
            "$($warned[0])" | Should -Match 'cannot run on OSv''s linker .*refuses to run as root'
        }

        It 'judges <Name> CannotRun both ways (<Rule>), as the kernel shows' -ForEach @(
            @{ Name = 'postgres'; Path = '/usr/lib/postgresql/15/bin/postgres'; Package = 'postgresql-15'; Rule = 'RootRefusal'; Command = '/postgres -D /data'; Says = '"root" execution of the PostgreSQL server is not permitted'; Extra = @{} }
            @{ Name = 'unbound'; Path = '/usr/sbin/unbound'; Package = 'unbound'; Rule = 'MtuDiscovery'; Command = '/unbound -d -c /unbound.conf'; Says = 'IP_MTU_DISCOVER.*Protocol not available(.|\n)*could not open ports'
               Extra = @{ 'unbound.conf' = "server:`n  interface: 0.0.0.0`n  do-ip6: no`n  username: `"`"`n  chroot: `"`"`n  directory: `"/`"`n  pidfile: `"`"`n  use-syslog: no`n  do-daemonize: no`n" } }
            @{ Name = 'squid'; Path = '/usr/sbin/squid'; Package = 'squid'; Rule = 'DropsRoot'; Command = '/squid -N -f /squid.conf'; Says = 'libcap.so.2: failed looking up symbol capget'
               Extra = @{ 'squid.conf' = "http_port 3128`npid_filename none`ncache_log stdio:/dev/console`naccess_log none`nmime_table /dev/null`n" } }
            @{ Name = 'etcd'; Path = '/usr/bin/etcd'; Package = 'etcd-server'; Rule = 'EtcdBackend'; Command = '/etcd --data-dir /tmp/etcd'; Says = 'madvise: invalid argument'; Extra = @{} }
        ) {
            if (Skip-WithoutOsv $osv) { return }
            if (-not (Test-Path $Path)) { Set-ItResult -Skipped -Because "$Name is not installed (apt-get install $Package): the fixtures built here check the same rules"; return }
            $report = Test-OsvBinary $Path
            ($report.OsvLinker, $report.LinuxLinker, $report.Compatible) | Should -Be @('CannotRun', 'CannotRun', $false)
            $finding = $report.Findings | Where-Object Rule -eq $Rule
            "$($finding.Effect)" | Should -Be 'CannotRun'
            $report.OsvLinkerReason | Should -Be $finding.Reason
            $run = Invoke-OnKernel "real-$Name" $Path $Command -Extra $Extra
            $run.Lines | Should -Match $Says
            $run.State | Should -Be 'Failed'
        }

        It 'finds a Go program that links bbolt, without making it one that cannot run (skopeo''s cache)' {
            if (Skip-WithoutOsv $osv) { return }
            if (-not (Test-Path /usr/bin/skopeo)) { Set-ItResult -Skipped -Because 'skopeo is not installed (apt-get install skopeo)'; return }
            $report = Test-OsvBinary /usr/bin/skopeo
            $report.Compatible | Should -BeTrue
            $bolt = $report.Findings | Where-Object Rule -eq 'BoltMadvise'
            "$($bolt.Effect)" | Should -Be 'MayFail'
            "$($bolt.Evidence)" | Should -Be 'Go function go.etcd.io/bbolt.mmap'
            $report.Findings.Rule | Should -Not -Contain 'EtcdBackend'
        }

        It 'runs a static Go program as its verdict says, and finds one built as etcd''s backend CannotRun' {
            if (Skip-WithoutOsv $osv) { return }
            if (-not (Get-Command go -ErrorAction Ignore)) { Set-ItResult -Skipped -Because 'go is not installed (apt-get install golang-go)'; return }
            # Modules named as bbolt and etcd's backend are, bbolt's mmap advising random access as bbolt's does; built offline, stripped.
            $go = Join-Path $TestDrive 'go'
            New-Item -ItemType Directory (Join-Path $go 'bbolt'), (Join-Path $go 'etcd/storage/backend'), (Join-Path $go 'hello'), (Join-Path $go 'bolt') | Out-Null
            Set-Content (Join-Path $go 'etcd/go.mod') "module go.etcd.io/etcd/server/v3`n`ngo 1.19`n`nrequire go.etcd.io/bbolt v0.0.0`n`nreplace go.etcd.io/bbolt => ../bbolt`n"
            Set-Content (Join-Path $go 'etcd/storage/backend/backend.go') "package backend`n`nimport `"go.etcd.io/bbolt`"`n`nfunc New() error { return newBackend() }`n`n//go:noinline`nfunc newBackend() error { return bbolt.Open() }`n"
            Set-Content (Join-Path $go 'bbolt/go.mod') "module go.etcd.io/bbolt`n`ngo 1.19`n"
            Set-Content (Join-Path $go 'bbolt/bolt.go') @'
package bbolt

import (
	"fmt"
	"syscall"
)

func Open() error { return mmap(4096) }

//go:noinline
func mmap(size int) error {
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return err
	}
	if err := syscall.Madvise(b, syscall.MADV_RANDOM); err != nil {
		return fmt.Errorf("madvise: %s", err)
	}
	return nil
}
'@
            $main = @'
package main

import (
	"fmt"
	"sync"
	IMPORT
)

func main() {
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done() }()
	}
	wg.Wait()
	fmt.Println("goroutines done")
	CALL
}
'@
            Set-Content (Join-Path $go 'hello/go.mod') "module example.com/hello`n`ngo 1.19`n"
            Set-Content (Join-Path $go 'hello/main.go') ($main -creplace 'IMPORT', '' -creplace 'CALL', '')
            Set-Content (Join-Path $go 'bolt/go.mod') ("module example.com/bolt`n`ngo 1.19`n`nrequire (`n`tgo.etcd.io/bbolt v0.0.0`n`tgo.etcd.io/etcd/server/v3 v3.0.0`n)`n`n" +
                "replace go.etcd.io/bbolt => ../bbolt`n`nreplace go.etcd.io/etcd/server/v3 => ../etcd`n")
            Set-Content (Join-Path $go 'bolt/main.go') ($main -creplace 'IMPORT', '"go.etcd.io/etcd/server/v3/storage/backend"' -creplace 'CALL', 'fmt.Println("open:", backend.New())')
            $env:CGO_ENABLED = '0'; $env:GOCACHE = Join-Path $go 'cache'; $env:GOPATH = Join-Path $go 'path'; $env:GOPROXY = 'off'; $env:GOFLAGS = '-mod=mod'
            try {
                foreach ($name in 'hello', 'bolt') {
                    Push-Location (Join-Path $go $name)
                    try { & go build -ldflags '-s -w' -o (Join-Path $src "go$name") . 2>&1 | Out-String | Write-Host; $LASTEXITCODE | Should -Be 0 }
                    finally { Pop-Location }
                }
            }
            finally { 'CGO_ENABLED', 'GOCACHE', 'GOPATH', 'GOPROXY', 'GOFLAGS' | ForEach-Object { Remove-Item "env:$_" -ErrorAction Ignore } }
            $hello, $bolt = Test-OsvBinary (Join-Path $src 'gohello'), (Join-Path $src 'gobolt')
            ($hello.Kind, $hello.OsvLinker, $hello.Compatible) | Should -Be @('StaticExecutable', 'Runs', $true)
            $hello.Notes -join ' ' | Should -Match 'it is a Go program'
            $hello.Findings.Rule | Should -Not -Contain 'EtcdBackend'
            ($bolt.OsvLinker, $bolt.Compatible) | Should -Be @('CannotRun', $false)
            $bolt.OsvLinkerReason | Should -Match 'madvise\(MADV_RANDOM\)'
            (($bolt.Findings | Where-Object Rule -eq 'EtcdBackend').Evidence -join ', ') | Should -Be 'Go function go.etcd.io/bbolt.mmap, Go function go.etcd.io/etcd/server/v3/storage/backend.newBackend'
            $ran = Invoke-OnKernel 'gohello' (Join-Path $src 'gohello') '/gohello'
            ($ran.Lines -match 'goroutines done'), $ran.State | Should -Be @($true, 'Stopped')
            $ran.Lines | Should -Not -Match 'unimplemented system call'
            (Invoke-OnKernel 'gobolt' (Join-Path $src 'gobolt') '/gobolt').Lines | Should -Match 'open: madvise: invalid argument'
        }

        It 'binds a musl (Alpine) program to the kernel''s C library, which lacks syslog, as the kernel shows' {
            if (Skip-WithoutOsv $osv) { return }
            if (-not (Get-Command musl-gcc -ErrorAction Ignore) -or -not (Test-Path /lib/ld-musl-x86_64.so.1)) { Set-ItResult -Skipped -Because 'musl-gcc is not installed (apt-get install musl-tools)'; return }
            # Alpine's C library has the soname libc.musl-x86_64.so.1: musl's own (its loader is the same file), linked under that name.
            $musl = Join-Path $TestDrive 'musl'
            New-Item -ItemType Directory $musl | Out-Null
            Copy-Item -LiteralPath /lib/ld-musl-x86_64.so.1 (Join-Path $musl 'libc.musl-x86_64.so.1')
            Set-Content (Join-Path $musl 'alpine.c') "#include <stdio.h>`n#include <syslog.h>`nint main(void) { puts(`"musl hello`"); syslog(LOG_INFO, `"hi`"); puts(`"logged`"); return 0; }"
            & musl-gcc -O1 -o (Join-Path $src 'alpine') (Join-Path $musl 'alpine.c') -nodefaultlibs -L $musl '-l:libc.musl-x86_64.so.1'
            $LASTEXITCODE | Should -Be 0
            $report = Test-OsvBinary (Join-Path $src 'alpine')
            ($report.OsvLinker, $report.LinuxLinker, $report.RecommendedWay) | Should -Be @('RunsUnlessCalled', 'CannotRun', 'OsvLinker')
            $report.MissingSymbols.Name | Should -Be @('syslog')
            $report.Libraries | Should -BeNullOrEmpty -Because 'the kernel answers for libc.musl-x86_64.so.1'
            $report.Notes -join ' ' | Should -Match 'it is a musl program'
            $run = Invoke-OnKernel 'alpine' (Join-Path $src 'alpine') '/alpine'
            $run.Lines | Should -Match 'musl hello'
            $run.Lines | Should -Match '/alpine: failed looking up symbol syslog'
            $run.Lines | Should -Not -Match 'logged'
            $run.State | Should -Be 'Failed'
        }
    }
}
