# Add-OsvDebianPackage on this machine's own dpkg database (python3, redis-server) and on a sysroot
# made here; what it carries runs on the real OSv kernel, booted from disk and straight into the kernel.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $osv = Find-RealOsv
    if ($osv.Loader) { New-RealOsvRepository (Join-Path $TestDrive 'capstan') $osv | Out-Null }
    function Skip-Without([string] $Package) {
        if (-not (Test-DebianInstalled $Package)) { Set-ItResult -Skipped -Because "the Debian package $Package is not installed (apt-get install $Package)"; return $true }
        $false
    }

    # Python, carried once for the tests that look at it and boot it.
    $python = Join-Path $TestDrive 'python'
    New-OsvProject $python -BootCommand '/usr/bin/python3 -c "print(1)"' | Out-Null
    $pythonFiles = if (Test-DebianInstalled python3) { Add-OsvDebianPackage python3 -Project $python }

    # A sysroot with a dpkg database of its own: a package 'hello' whose program is this machine's xz,
    # with its liblzma owned by the sysroot's 'liblzma5', a conffile, documentation and a link.
    $sysroot = Join-Path $TestDrive 'sysroot'
    $lzma = (Get-Item /lib/x86_64-linux-gnu/liblzma.so.5).ResolveLinkTarget($true).FullName
    $lzmaName = Split-Path -Leaf $lzma
    foreach ($folder in 'usr/bin', 'lib/x86_64-linux-gnu', 'etc', 'usr/share/doc/hello', 'var/lib/dpkg/info') { New-Item -ItemType Directory -Force (Join-Path $sysroot $folder) | Out-Null }
    Copy-Item /usr/bin/xz (Join-Path $sysroot 'usr/bin/hello')
    Copy-Item $lzma (Join-Path $sysroot "lib/x86_64-linux-gnu/$lzmaName")
    New-Item -ItemType SymbolicLink -Path (Join-Path $sysroot 'lib/x86_64-linux-gnu/liblzma.so.5') -Target $lzmaName | Out-Null
    New-Item -ItemType SymbolicLink -Path (Join-Path $sysroot 'usr/bin/unhello') -Target /usr/bin/hello | Out-Null
    Set-Content (Join-Path $sysroot 'etc/hello.conf') 'from the sysroot' -NoNewline
    Set-Content (Join-Path $sysroot 'usr/share/doc/hello/copyright') 'GPL'
    Set-Content (Join-Path $sysroot 'var/lib/dpkg/status') @"
Package: hello
Status: install ok installed
Section: utils
Architecture: amd64
Version: 1.0-1
Depends: liblzma5 (>= 5)
Conffiles:
 /etc/hello.conf 00000000000000000000000000000000

Package: liblzma5
Status: install ok installed
Section: libs
Architecture: amd64
Version: 5.4.1-0.2
"@
    Set-Content (Join-Path $sysroot 'var/lib/dpkg/info/hello.list') "/.`n/etc`n/etc/hello.conf`n/usr`n/usr/bin`n/usr/bin/hello`n/usr/bin/unhello`n/usr/share/doc/hello/copyright"
    Set-Content (Join-Path $sysroot 'var/lib/dpkg/info/liblzma5:amd64.list') "/.`n/lib/x86_64-linux-gnu/$lzmaName`n/lib/x86_64-linux-gnu/liblzma.so.5"
}

AfterAll {
    Stop-TestInstances
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'Add-OsvDebianPackage' {
    Context 'metadata' {
        It 'takes names from the pipeline, paths by property name (Get-Command, Get-ChildItem), and supports ShouldProcess' {
            $command = Get-Command Add-OsvDebianPackage
            ($command.Parameters['Name'].Attributes | Where-Object { $_ -is [Parameter] }).ValueFromPipeline | Should -BeTrue
            ($command.Parameters['Path'].Attributes | Where-Object { $_ -is [Parameter] }).ValueFromPipelineByPropertyName | Should -BeTrue
            $command.Parameters['Path'].Aliases | Should -Contain 'FullName'
            $command.ParameterSets.Name | Sort-Object | Should -Be @('Name', 'Path')
            $command.Parameters.Keys | Should -Contain 'WhatIf'
            $command.OutputType.Type.FullName | Should -Be 'OsvPS.Core.Models.OsvDebianFile'
            $scope = $command.Parameters['DependencyScope'].ParameterType
            $scope.IsEnum | Should -BeTrue
            [Enum]::GetNames($scope) | Should -Be @('RunTime', 'Section', 'All', 'None')
            $command.Parameters['Include'].ParameterType.GetElementType().IsEnum | Should -BeTrue
        }
    }

    Context 'python3 from this machine' {
        It 'carries python3 with its standard library and extension modules, saying which package each file came from' {
            if (Skip-Without python3) { return }
            $byPath = @{}; $pythonFiles | ForEach-Object { $byPath[$_.GuestPath] = $_ }
            $program = $pythonFiles | Where-Object Kind -eq Program
            $program.GuestPath | Should -Match '^/usr/bin/python3\.\d+$'
            $version = Split-Path -Leaf $program.GuestPath
            $program.Package | Should -Be "$version-minimal"
            $byPath['/usr/bin/python3'].Kind | Should -Be 'SymbolicLink'
            $byPath['/usr/bin/python3'].LinkTarget | Should -Be $version
            $byPath["/usr/lib/$version/json/__init__.py"].Package | Should -Be "lib$version-stdlib"
            $byPath["/usr/lib/$version/encodings/utf_8.py"].Package | Should -Be "lib$version-minimal"
            $ssl = $pythonFiles | Where-Object { $_.GuestPath -like "/usr/lib/$version/lib-dynload/_ssl.*.so" }
            $ssl.Kind | Should -Be 'Library'
            $byPath['/usr/lib/libssl.so.3'].Kind | Should -Be 'Dependency'
            $byPath['/usr/lib/libssl.so.3'].Package | Should -Be 'libssl3'
            $byPath['/usr/lib/libssl.so.3'].RequiredBy | Should -Contain $ssl.SourcePath
            $byPath['/usr/lib/libsqlite3.so.0'].Package | Should -Be 'libsqlite3-0'
            # Documentation, man pages and locales stay out; the kernel's own libraries are not carried.
            $pythonFiles.GuestPath | Where-Object { $_ -like '/usr/share/doc/*' -or $_ -like '/usr/share/man/*' } | Should -BeNullOrEmpty
            $pythonFiles.GuestPath | Should -Not -Contain '/usr/lib/libc.so.6'
            $pythonFiles.Action | Select-Object -Unique | Should -Be 'Added'
            (Get-FileHash (Join-Path $python "usr/lib/$version/json/decoder.py")).Hash | Should -Be (Get-FileHash "/usr/lib/$version/json/decoder.py").Hash
        }

        It 'writes nothing the second time, and nothing with -WhatIf' {
            if (Skip-Without python3) { return }
            (Add-OsvDebianPackage python3 -Project $python).Action | Select-Object -Unique | Should -Be 'Unchanged'
            $other = Join-Path $TestDrive 'whatif'
            New-OsvProject $other -BootCommand /x | Out-Null
            Add-OsvDebianPackage python3 -Project $other -WhatIf | Should -BeNullOrEmpty
            Get-ChildItem $other -Exclude meta | Should -BeNullOrEmpty
        }

        It 'carries documentation when asked' {
            if (Skip-Without python3) { return }
            $docs = Join-Path $TestDrive 'docs'
            New-OsvProject $docs -BootCommand /x | Out-Null
            $files = Add-OsvDebianPackage python3 -Project $docs -DependencyScope None -Include Documentation
            $files.GuestPath | Should -Contain '/usr/share/doc/python3/copyright'
            $files.Package | Select-Object -Unique | Should -Be 'python3'
        }

        It 'runs python3 -c with json, sqlite3, ssl and http.server on the real kernel, booted from <_>' -ForEach 'Disk', 'Kernel' {
            if ((Skip-Without python3) -or (Skip-WithoutOsv $osv)) { return }
            $image = Build-OsvImage $python
            $code = 'import json, sqlite3, ssl, http.server; print(json.dumps({\"ok\": True}), sqlite3.sqlite_version, ssl.OPENSSL_VERSION)'
            $output = Start-OsvInstance $image -Name "python-$_" -BootMode $_ -CommandLine "/usr/bin/python3 -c `"$code`"" -Wait -Timeout 120
            $lines = Get-ConsoleLines $output
            ($output | Where-Object { $_ -isnot [string] }).State | Should -Be 'Stopped' -Because ($lines -join "`n")
            $lines | Where-Object { $_ -like '{"ok": true} 3.* OpenSSL 3.*' } | Should -Not -BeNullOrEmpty -Because ($lines -join "`n")
        }
    }

    Context 'the verdict, as Add-OsvBinary gives it' {
        It 'warns for a program that may stop on OSv''s linker, naming the way that runs it' {
            if (Skip-WithoutOsv $osv) { return }
            if (Skip-Without redis-tools) { return }
            $p = Join-Path $TestDrive 'verdict'
            New-OsvProject $p -BootCommand /x | Out-Null
            $files = Add-OsvDebianPackage redis-tools -Project $p -DependencyScope None -WarningVariable warned -WarningAction SilentlyContinue
            ($files | Where-Object GuestPath -eq '/usr/bin/redis-check-rdb').Kind | Should -Be 'Program'
            $rdb = @($warned | Where-Object { "$_" -like "'/usr/bin/redis-check-rdb' *" })
            $rdb.Count | Should -Be 1
            "$($rdb[0])" | Should -Match "may stop on OSv's linker .*stops if it calls .*capget"
            "$($rdb[0])" | Should -Match ([regex]::Escape("Linux's dynamic linker runs it: carry it with -LinuxLinker (the project's config sets that start it then start it on that linker)."))
            # What the warning says is Test-OsvBinary's verdict.
            $verdict = Test-OsvBinary /usr/bin/redis-check-rdb
            ($verdict.OsvLinker, $verdict.RecommendedWay) | Should -Be @('RunsUnlessCalled', 'LinuxLinker')
        }

        It 'carries with -LinuxLinker: programs start on the root''s ld-linux as their BootCommand says, and so do the project''s config sets, on the real kernel' {
            if (Skip-WithoutOsv $osv) { return }
            if (Skip-Without python3) { return }
            $p = Join-Path $TestDrive 'python-linux'
            New-OsvProject $p -BootCommand '/usr/bin/python3 -c "print(6*7)"' | Out-Null
            $files = Add-OsvDebianPackage python3 -Project $p -LinuxLinker -WarningVariable warned -WarningAction SilentlyContinue
            $python = @($files | Where-Object { $_.Kind -eq 'Program' -and $_.GuestPath -like '/usr/bin/python3.*' })[0]
            $python.BootCommand | Should -Be "/lib64/ld-linux-x86-64.so.2 $($python.GuestPath)"
            @($files | Where-Object Kind -eq 'Library').BootCommand | Where-Object { $_ } | Should -BeNullOrEmpty
            @($warned | Where-Object { "$_" -like "'$($python.SourcePath)' *" }) | Should -BeNullOrEmpty -Because 'Linux''s linker runs python whole'
            # The config set that starts python (through the /usr/bin/python3 link) now starts it on that linker; the rest as written.
            $sets = (Get-OsvProject $p).ConfigSets
            ($sets | Where-Object Name -eq 'default').BootCommand | Should -Be '/lib64/ld-linux-x86-64.so.2 /usr/bin/python3 -c "print(6*7)"'
            $run = Get-Content -Raw (Join-Path $p 'meta/run.yaml')
            Add-OsvDebianPackage python3 -Project $p -LinuxLinker -WarningAction SilentlyContinue | Out-Null
            Get-Content -Raw (Join-Path $p 'meta/run.yaml') | Should -BeExactly $run -Because 'a second call finds the commands on the linker already'
            $image = Build-OsvImage $p -WarningAction SilentlyContinue
            $output = Start-OsvInstance $image -Name python-linux -BootMode Kernel -Wait -Timeout 120
            (Get-ConsoleLines $output) | Should -Contain '42'
            (Get-FinalInstance $output).State | Should -Be 'Stopped'
        }

        It 'says with -WhatIf which config sets -LinuxLinker would move to that linker, and writes nothing' {
            if (Skip-Without python3) { return }
            $p = Join-Path $TestDrive 'python-linux-whatif'
            $python = (Get-Item /usr/bin/python3).ResolvedTarget
            New-OsvProject $p -BootCommand "$python -V" | Out-Null
            Add-OsvDebianPackage -Path $python -Project $p -DependencyScope None -WarningAction SilentlyContinue | Out-Null
            $before = Get-Content -Raw (Join-Path $p 'meta/run.yaml')
            $said = Invoke-FreshPwsh "`$env:CAPSTAN_ROOT = '$($env:CAPSTAN_ROOT)'; Import-Module '$(Get-OsvTestModulePath)'; Add-OsvDebianPackage -Path '$python' -Project '$p' -DependencyScope None -LinuxLinker -WhatIf -WarningAction SilentlyContinue" 
            Get-Content -Raw (Join-Path $p 'meta/run.yaml') | Should -BeExactly $before
            ($said | Out-String) | Should -Match "Start the programs of config set\(s\) 'default' on Linux's dynamic linker"
        }
    }

    Context 'names, paths and errors' {
        It 'carries the packages that own a path (Get-Command output), the link''s and the program''s' {
            if (Skip-Without redis-server) { return }
            $p = Join-Path $TestDrive 'redis'
            New-OsvProject $p -BootCommand /x | Out-Null
            $files = Get-Command redis-server -CommandType Application | Add-OsvDebianPackage -Project $p -DependencyScope None -Exclude '/etc/*', '/lib/systemd'
            ($files | Where-Object Kind -ne Dependency).Package | Select-Object -Unique | Sort-Object | Should -Be @('redis-server', 'redis-tools')
            ($files | Where-Object GuestPath -eq '/usr/lib/libjemalloc.so.2').Package | Should -Be 'libjemalloc2'
            ($files | Where-Object GuestPath -eq '/usr/bin/redis-server').Kind | Should -Be 'SymbolicLink'
            ($files | Where-Object GuestPath -eq '/usr/bin/redis-check-rdb').Kind | Should -Be 'Program'
            $files.GuestPath | Where-Object { $_ -like '/etc/*' -or $_ -like '/lib/systemd/*' } | Should -BeNullOrEmpty
        }

        It 'reports an unknown package, goes on with the others, and matches wildcards' {
            if (Skip-Without redis-tools) { return }
            $p = Join-Path $TestDrive 'names'
            New-OsvProject $p -BootCommand /x | Out-Null
            $files = Add-OsvDebianPackage 'no-such-package-here', 'x[', 'redis-t*' -Project $p -DependencyScope None -ErrorVariable failed -ErrorAction SilentlyContinue
            $failed.Count | Should -Be 2
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'DebianPackageNotFound,*'
            $failed[0].TargetObject | Should -Be 'no-such-package-here'
            $failed[1].FullyQualifiedErrorId | Should -BeLike 'NamePatternInvalid,*' -Because 'a pattern that is not one is a clean error for that name'
            $failed[1].TargetObject | Should -Be 'x['
            $files.Package | Where-Object { $_ -like 'redis*' } | Select-Object -Unique | Should -Be 'redis-tools'
        }

        It 'says when no package owns a path, when there is no project and when a root has no dpkg database' {
            { Add-OsvDebianPackage -Path /var/lib/dpkg/status -Project $python -ErrorAction Stop } | Should -Throw -ErrorId 'DebianFileNotOwned,*'
            { Add-OsvDebianPackage dpkg -Project $TestDrive -ErrorAction Stop } | Should -Throw -ErrorId 'ProjectNotFound,*'
            { Add-OsvDebianPackage dpkg -Project $python -Root (Join-Path $TestDrive 'empty-root') -ErrorAction Stop } | Should -Throw -ErrorId 'DpkgDatabaseNotFound,*'
        }
    }

    Context 'a sysroot (-Root)' {
        It 'reads the sysroot''s database and files, and resolves libraries inside it' {
            $p = Join-Path $TestDrive 'hello'
            New-OsvProject $p -BootCommand '/usr/bin/hello --version' | Out-Null
            $files = Add-OsvDebianPackage hello -Project $p -Root $sysroot
            $byPath = @{}; $files | ForEach-Object { $byPath[$_.GuestPath] = $_ }
            $byPath['/usr/bin/hello'].Kind | Should -Be 'Program'
            $byPath['/usr/bin/hello'].SourcePath | Should -Be (Join-Path $sysroot 'usr/bin/hello')
            $byPath['/usr/lib/liblzma.so.5'].Package | Should -Be 'liblzma5'
            $byPath['/usr/lib/liblzma.so.5'].SourcePath | Should -BeLike "$sysroot/*"
            $byPath['/etc/hello.conf'].Kind | Should -Be 'Configuration'
            # An absolute link of the sysroot means the sysroot's file: relative in the guest.
            $byPath['/usr/bin/unhello'].LinkTarget | Should -Be 'hello'
            $files.GuestPath | Should -Not -Contain '/usr/share/doc/hello/copyright'
            (Get-Content -Raw (Join-Path $p 'etc/hello.conf')) | Should -Be 'from the sysroot'
            # -Path under -Root names a file of the root.
            (Add-OsvDebianPackage -Path /usr/bin/unhello -Project $p -Root $sysroot -DependencyScope None).Package | Select-Object -Unique | Sort-Object | Should -Be @('hello', 'liblzma5')
        }

        It 'runs the sysroot''s program on the real kernel, booted from <_>' -ForEach 'Disk', 'Kernel' {
            if (Skip-WithoutOsv $osv) { return }
            $output = Start-OsvInstance (Build-OsvImage (Join-Path $TestDrive 'hello')) -Name "hello-$_" -BootMode $_ -Wait -Timeout 60
            $lines = Get-ConsoleLines $output
            $lines | Where-Object { $_ -like 'xz (XZ Utils) *' } | Should -Not -BeNullOrEmpty -Because ($lines -join "`n")
        }
    }
}
