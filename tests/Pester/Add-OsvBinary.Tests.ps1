BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    # Fixtures: two shared libraries (one needing the other) and a PIE needing both, all with $ORIGIN paths.
    $src = Join-Path $TestDrive 'src'
    $libs = Join-Path $src 'libs'
    New-Item -ItemType Directory -Force $libs | Out-Null
    Set-Content (Join-Path $src 'one.c') 'int one(void) { return 1; }'
    Set-Content (Join-Path $src 'two.c') 'int one(void); int two(void) { return one() + 1; }'
    Set-Content (Join-Path $src 'main.c') "#include <stdio.h>`nint two(void); int main(void) { printf(`"%d\n`", two()); return 0; }"
    Set-Content (Join-Path $src 'ghost.c') 'int ghost(void) { return 0; }'
    Set-Content (Join-Path $src 'useghost.c') 'int ghost(void); int main(void) { return ghost(); }'
    # The seed's echo.so: a shared library exporting main, the way OSv's own apps are built.
    Set-Content (Join-Path $src 'echo.c') "#include <stdio.h>`nint main(int argc, char **argv) { for (int i = 1; i < argc; i++) printf(`"%s `", argv[i]); puts(`"`"); return 0; }"
    function Invoke-Gcc { & gcc @args; if ($LASTEXITCODE) { throw "gcc $args failed" } }
    Push-Location $src
    try {
        Invoke-Gcc -shared -fPIC '-Wl,-soname,libone.so.1' -o libs/libone.so.1 one.c
        Invoke-Gcc -shared -fPIC '-Wl,-soname,libtwo.so.1' '-Wl,-rpath,$ORIGIN' -o libs/libtwo.so.1 two.c -Llibs '-l:libone.so.1'
        Invoke-Gcc -fPIE -pie '-Wl,-rpath,$ORIGIN/libs' -o app main.c -Llibs '-l:libtwo.so.1' '-Wl,-rpath-link,libs'
        Invoke-Gcc -shared -fPIC -o libghost.so ghost.c
        Invoke-Gcc -fPIE -pie -o needs-ghost useghost.c -L. -lghost
        Remove-Item libghost.so
        New-Item -ItemType Directory build | Out-Null
        Invoke-Gcc -fPIC -shared -o build/echo.so echo.c
        Set-Content static.c "#include <stdio.h>`nint main(void) { puts(`"static`"); return 0; }"
        & gcc -static -o static static.c 2>$null
    }
    finally { Pop-Location }
    $project = Join-Path $TestDrive 'project'
    New-OsvProject $project -BootCommand '/app' | Out-Null
}

Describe 'Add-OsvBinary' {
    Context 'metadata' {
        It 'binds LiteralPath from Get-ChildItem and supports ShouldProcess' {
            $command = Get-Command Add-OsvBinary
            ($command.Parameters['LiteralPath'].Attributes | Where-Object { $_ -is [Parameter] }).ValueFromPipelineByPropertyName | Should -BeTrue
            $command.Parameters['LiteralPath'].Aliases | Should -Contain 'PSPath'
            $command.Parameters.Keys | Should -Contain 'WhatIf'
            $command.OutputType.Type.FullName | Should -Be 'OsvPS.Core.Models.OsvFile'
            $command.Parameters['LinuxLinker'].SwitchParameter | Should -BeTrue
        }
    }

    Context 'behaviour' {
        It 'copies a program and every library it needs to the guest paths' {
            $files = Add-OsvBinary (Join-Path $src 'app') -Project $project
            $files.GuestPath | Should -Be @('/app', '/usr/lib/libtwo.so.1', '/usr/lib/libone.so.1')
            $files.Action | Select-Object -Unique | Should -Be 'Added'
            ($files | Where-Object GuestPath -eq '/usr/lib/libone.so.1').RequiredBy | Should -Be @((Join-Path $libs 'libtwo.so.1'))
            ($files | Where-Object GuestPath -eq '/app').Kind | Should -Be 'PositionIndependentExecutable'
            (Get-FileHash (Join-Path $project 'usr/lib/libone.so.1')).Hash | Should -Be (Get-FileHash (Join-Path $libs 'libone.so.1')).Hash
        }

        It 'writes nothing the second time' {
            $before = (Get-Item (Join-Path $project 'app')).LastWriteTimeUtc
            (Add-OsvBinary (Join-Path $src 'app') -Project $project).Action | Select-Object -Unique | Should -Be 'Unchanged'
            (Get-Item (Join-Path $project 'app')).LastWriteTimeUtc | Should -Be $before
        }

        It 'takes Get-ChildItem *.so output' {
            $p = Join-Path $TestDrive 'piped'
            New-OsvProject $p -BootCommand /x | Out-Null
            $files = Get-ChildItem (Join-Path $libs '*.so.1') | Add-OsvBinary -Project $p
            $files.GuestPath | Sort-Object -Unique | Should -Be @('/usr/lib/libone.so.1', '/usr/lib/libtwo.so.1')
        }

        It 'uses the current folder when it is a project, and an OsvProject object' {
            $p = Join-Path $TestDrive 'here'
            $proj = New-OsvProject $p -BootCommand /x
            Push-Location $p
            try { (Add-OsvBinary (Join-Path $libs 'libone.so.1') -NoDependencies).GuestPath | Should -Be '/usr/lib/libone.so.1' }
            finally { Pop-Location }
            (Add-OsvBinary (Join-Path $src 'app') -Project $proj -GuestPath /bin/app -NoDependencies).GuestPath | Should -Be '/bin/app'
        }

        It 'copies the provided libraries only with -IncludeProvided' {
            $p = Join-Path $TestDrive 'provided'
            New-OsvProject $p -BootCommand /x | Out-Null
            (Add-OsvBinary (Join-Path $src 'app') -Project $p).GuestPath | Should -Not -Contain '/usr/lib/libc.so.6'
            (Add-OsvBinary (Join-Path $src 'app') -Project $p -IncludeProvided).GuestPath | Should -Contain '/usr/lib/libc.so.6'
        }

        It 'writes nothing with -WhatIf' {
            $p = Join-Path $TestDrive 'whatif'
            New-OsvProject $p -BootCommand /x | Out-Null
            Add-OsvBinary (Join-Path $src 'app') -Project $p -WhatIf
            Test-Path (Join-Path $p 'app') | Should -BeFalse
            Test-Path (Join-Path $p 'usr') | Should -BeFalse
        }

        It 'feeds Build-OsvImage: the libraries end up in the image' {
            $savedRoot = $env:CAPSTAN_ROOT
            try {
                New-TestRepository (Join-Path $TestDrive 'capstan') | Out-Null
                $image = Build-OsvImage $project -Format Raw
                $bytes = [IO.File]::ReadAllBytes($image.Path)
                [Text.Encoding]::ASCII.GetString($bytes).Contains('libone.so.1') | Should -BeTrue
            }
            finally { $env:CAPSTAN_ROOT = $savedRoot }
        }
    }

    Context 'programs, folders and Linux''s linker' {
        It 'places a .so exporting main at /<name>, from a build folder beside the project and from inside it' {
            $demo = Join-Path $TestDrive 'seed/demo'
            New-OsvProject $demo -BootCommand '/echo.so Hey hey!' | Out-Null
            Copy-Item (Join-Path $src 'build') (Join-Path $TestDrive 'seed/build') -Recurse
            Push-Location (Join-Path $TestDrive 'seed/build')
            try { $beside = Get-ChildItem *.so | Add-OsvBinary -Project ../demo }
            finally { Pop-Location }
            $beside.GuestPath | Should -Be '/echo.so'
            $beside.BootCommand | Should -Be '/echo.so'
            Test-Path (Join-Path $demo 'usr/lib/echo.so') | Should -BeFalse
            # The seed compiles echo.so inside the project and adds it from there: it is already where it goes.
            $inside = Join-Path $TestDrive 'seed/inside'
            New-OsvProject $inside -BootCommand '/echo.so Hey hey!' | Out-Null
            Copy-Item (Join-Path $src 'build/echo.so') $inside
            Push-Location $inside
            try { $here = Get-ChildItem *.so | Add-OsvBinary }
            finally { Pop-Location }
            $here.GuestPath | Should -Be '/echo.so'
            $here.Action | Should -Be 'Unchanged'
            Test-Path (Join-Path $inside 'usr') | Should -BeFalse
        }

        It 'keeps libraries found as dependencies at /usr/lib/<soname>, and libraries given as inputs too' {
            $p = Join-Path $TestDrive 'deps'
            New-OsvProject $p -BootCommand /app | Out-Null
            $files = Add-OsvBinary (Join-Path $src 'app'), (Join-Path $libs 'libone.so.1') -Project $p
            ($files | Where-Object BootCommand).GuestPath | Should -Be '/app'
            $files.GuestPath | Should -Contain '/usr/lib/libtwo.so.1'
            ($files | Where-Object SourcePath -eq (Join-Path $libs 'libone.so.1')).GuestPath | Select-Object -Unique | Should -Be '/usr/lib/libone.so.1'
        }

        It 'takes a -GuestPath ending in / as a folder for several inputs, piped or not' {
            $p = Join-Path $TestDrive 'folder'
            New-OsvProject $p -BootCommand /x | Out-Null
            $files = Get-ChildItem (Join-Path $libs '*.so.1') | Add-OsvBinary -Project $p -GuestPath /usr/lib/plugins/ -NoDependencies
            $files.GuestPath | Sort-Object | Should -Be @('/usr/lib/plugins/libone.so.1', '/usr/lib/plugins/libtwo.so.1')
            Test-Path (Join-Path $p 'usr/lib/plugins/libone.so.1') -PathType Leaf | Should -BeTrue
            { Get-ChildItem (Join-Path $libs '*.so.1') | Add-OsvBinary -Project $p -GuestPath /usr/lib/one -NoDependencies -ErrorAction Stop } |
                Should -Throw -ErrorId 'GuestPathInvalid,*' -ExpectedMessage "*End it with '/'*"
        }

        It 'places a static executable at /<name> with no warning' {
            if (-not (Test-Path (Join-Path $src 'static'))) { Set-ItResult -Skipped -Because 'gcc -static failed: libc.a (libc6-dev) is missing'; return }
            $p = Join-Path $TestDrive 'static'
            New-OsvProject $p -BootCommand /static | Out-Null
            $files = Add-OsvBinary (Join-Path $src 'static') -Project $p -LinuxLinker -WarningVariable warned
            $files.GuestPath | Should -Be '/static'
            $files.BootCommand | Should -Be '/static'
            $warned.Count | Should -Be 0
        }

        It 'carries with -LinuxLinker the host''s loader, its C library and every library where that loader looks, and says how to start it' {
            $p = Join-Path $TestDrive 'linux'
            New-OsvProject $p -BootCommand /app | Out-Null
            $files = Add-OsvBinary (Join-Path $src 'app') -Project $p -LinuxLinker
            $program = $files | Where-Object BootCommand
            $program.GuestPath | Should -Be '/app'
            # libtwo and libone come from $ORIGIN folders, outside the loader's system folders.
            $program.BootCommand | Should -Be '/lib64/ld-linux-x86-64.so.2 --library-path /usr/local/lib /app'
            $files.GuestPath | Should -Contain '/lib64/ld-linux-x86-64.so.2'
            $files.GuestPath | Should -Contain '/usr/local/lib/libtwo.so.1'
            $files.GuestPath | Should -Contain '/usr/local/lib/libone.so.1'
            $libc = ($files | Where-Object { $_.GuestPath -like '*/libc.so.6' }).GuestPath
            $libc | Should -BeIn @('/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libc.so.6')
            (Get-FileHash (Join-Path $p $libc.TrimStart('/'))).Hash | Should -Be (Get-FileHash /lib/x86_64-linux-gnu/libc.so.6).Hash
            (Get-FileHash (Join-Path $p 'lib64/ld-linux-x86-64.so.2')).Hash | Should -Be (Get-FileHash /lib64/ld-linux-x86-64.so.2).Hash
            (Get-Item (Join-Path $p 'lib64/ld-linux-x86-64.so.2')).LinkType | Should -BeNullOrEmpty -Because 'the loader is copied, not linked'
            $files.GuestPath | Where-Object { $_ -like '/usr/lib/lib*' } | Should -BeNullOrEmpty -Because 'OSv''s own layout is not used'
        }

        It 'refuses -LinuxLinker for a .so exporting main, which only OSv''s linker starts' {
            $p = Join-Path $TestDrive 'linux-so'
            New-OsvProject $p -BootCommand /echo.so | Out-Null
            Add-OsvBinary (Join-Path $src 'build/echo.so') -Project $p -LinuxLinker -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
            $err[0].FullyQualifiedErrorId | Should -BeLike 'LinuxLinkerNotApplicable,*'
            $err[0].Exception.Message | Should -Match 'without -LinuxLinker'
            Test-Path (Join-Path $p 'echo.so') | Should -BeFalse
        }

        It 'refuses -LinuxLinker when the program''s loader is not on the root it is resolved on' {
            $root = Join-Path $TestDrive 'sysroot'
            New-Item -ItemType Directory (Join-Path $root 'bin') -Force | Out-Null
            Copy-Item (Join-Path $src 'app') (Join-Path $root 'bin/app')
            $p = Join-Path $TestDrive 'linux-root'
            New-OsvProject $p -BootCommand /app | Out-Null
            Add-OsvBinary (Join-Path $root 'bin/app') -Root $root -Project $p -LinuxLinker -SkipMissing -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | Out-Null
            $err[0].FullyQualifiedErrorId | Should -BeLike 'LinuxLinkerNotFound,*'
            $err[0].Exception.Message | Should -Match 'ld-linux-x86-64\.so\.2 is not on'
        }
    }

    Context 'errors' {
        It 'reports SharedLibraryNotFound listing the library and who needs it, copying nothing' {
            $p = Join-Path $TestDrive 'missing'
            New-OsvProject $p -BootCommand /x | Out-Null
            Add-OsvBinary (Join-Path $src 'needs-ghost') -Project $p -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'SharedLibraryNotFound,*'
            $err[0].Exception.Message | Should -Match 'libghost\.so \(needed by .*needs-ghost\)'
            $err[0].TargetObject | Should -Be (Join-Path $src 'needs-ghost')
            Test-Path (Join-Path $p 'needs-ghost') | Should -BeFalse
            (Add-OsvBinary (Join-Path $src 'needs-ghost') -Project $p -SkipMissing -WarningAction SilentlyContinue).GuestPath | Should -Be '/needs-ghost'
        }

        It 'reports ElfFormatInvalid for a file that is not ELF and goes on with the next input' {
            $p = Join-Path $TestDrive 'mixed'
            New-OsvProject $p -BootCommand /x | Out-Null
            $text = Join-Path $TestDrive 'notes.txt'
            Set-Content $text 'not a program'
            $files = $text, (Join-Path $libs 'libone.so.1') | Add-OsvBinary -Project $p -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ElfFormatInvalid,*'
            $files.GuestPath | Should -Be '/usr/lib/libone.so.1'
        }

        It 'reports GuestPathConflict without -Force and replaces with it' {
            $p = Join-Path $TestDrive 'conflict'
            New-OsvProject $p -BootCommand /x | Out-Null
            New-Item -ItemType Directory (Join-Path $p 'usr/lib') -Force | Out-Null
            Set-Content (Join-Path $p 'usr/lib/libone.so.1') 'something else'
            Add-OsvBinary (Join-Path $libs 'libone.so.1') -Project $p -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'GuestPathConflict,*'
            (Add-OsvBinary (Join-Path $libs 'libone.so.1') -Project $p -Force).Action | Should -Be 'Replaced'
        }

        It 'reports <Id> for <Case>' -ForEach @(
            @{ Case = 'a guest path leaving the project'; Id = 'GuestPathInvalid'; Arguments = @{ GuestPath = '/../escape' } }
            @{ Case = 'a guest path under /tmp, where OSv mounts a ramfs'; Id = 'GuestPathInvalid'; Arguments = @{ GuestPath = '/tmp/lib/' }; Message = '*under /tmp, where OSv mounts a ramfs at boot*' }
            @{ Case = 'a guest path under /dev'; Id = 'GuestPathInvalid'; Arguments = @{ GuestPath = '/dev/x.so' }; Message = '*under /dev*' }
            @{ Case = 'a missing file'; Id = 'BinaryNotFound'; File = 'nope'; Arguments = @{} }
        ) {
            $file = if ($File) { Join-Path $TestDrive $File } else { Join-Path $libs 'libone.so.1' }
            Add-OsvBinary $file -Project $project @Arguments -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
            $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
            if ($Message) { $err[0].Exception.Message | Should -BeLike $Message }
        }

        It 'keeps each copy''s source time, so equal size and time mean unchanged; -Checksum reads the content' {
            $p = Join-Path $TestDrive 'times'
            New-OsvProject $p -BootCommand /app | Out-Null
            Add-OsvBinary (Join-Path $src 'app') -Project $p | Out-Null
            $copy = Join-Path $p 'usr/lib/libone.so.1'
            (Get-Item $copy).LastWriteTimeUtc | Should -Be (Get-Item (Join-Path $libs 'libone.so.1')).LastWriteTimeUtc
            # Same size and time, other bytes: only -Checksum can tell.
            $bytes = [IO.File]::ReadAllBytes($copy)
            $bytes[$bytes.Length - 1] = $bytes[$bytes.Length - 1] -bxor 0xFF
            $time = (Get-Item $copy).LastWriteTimeUtc
            [IO.File]::WriteAllBytes($copy, $bytes)
            (Get-Item $copy).LastWriteTimeUtc = $time
            (Add-OsvBinary (Join-Path $src 'app') -Project $p).Action | Select-Object -Unique | Should -Be 'Unchanged'
            Add-OsvBinary (Join-Path $src 'app') -Project $p -Checksum -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
            $err[0].FullyQualifiedErrorId | Should -BeLike 'GuestPathConflict,*'
            (Add-OsvBinary (Join-Path $src 'app') -Project $p -Checksum -Force | Where-Object GuestPath -eq '/usr/lib/libone.so.1').Action | Should -Be 'Replaced'
            (Get-FileHash $copy).Hash | Should -Be (Get-FileHash (Join-Path $libs 'libone.so.1')).Hash
        }

        It 'sets the time of an older copy with the same content instead of copying it again' {
            $p = Join-Path $TestDrive 'older'
            New-OsvProject $p -BootCommand /app | Out-Null
            Add-OsvBinary (Join-Path $src 'app') -Project $p | Out-Null
            $copy = Join-Path $p 'app'
            (Get-Item $copy).LastWriteTimeUtc = [datetime]'2001-01-01'
            (Add-OsvBinary (Join-Path $src 'app') -Project $p).Action | Select-Object -Unique | Should -Be 'Unchanged'
            (Get-Item $copy).LastWriteTimeUtc | Should -Be (Get-Item (Join-Path $src 'app')).LastWriteTimeUtc
        }

        It 'decides a library needed by several inputs once: added for the first, unchanged after' {
            $p = Join-Path $TestDrive 'shared-lib'
            New-OsvProject $p -BootCommand /app | Out-Null
            $files = (Join-Path $src 'app'), (Join-Path $libs 'libtwo.so.1') | Add-OsvBinary -Project $p
            ($files | Where-Object GuestPath -eq '/usr/lib/libone.so.1').Action | Should -Be @('Added', 'Unchanged')
            ($files | Where-Object GuestPath -eq '/usr/lib/libtwo.so.1').Action | Should -Be @('Added', 'Unchanged')
        }

        It 'reports each bad input on its own and places the rest: <Case>' -ForEach @(
            @{ Case = 'an invalid wildcard pattern'; Make = { param($d) $f = Join-Path $d '['; Copy-Item -LiteralPath (Join-Path $src 'app') $f; $f }; Id = 'BinaryPathInvalid' }
            @{ Case = 'a FIFO'; Make = { param($d) $f = Join-Path $d 'fifo'; & mkfifo $f; $f }; Id = 'BinaryNotAFile' }
            @{ Case = 'a device'; Make = { param($d) '/dev/null' }; Id = 'BinaryNotAFile' }
            @{ Case = 'a folder'; Make = { param($d) $d }; Id = 'BinaryNotFound' }
            @{ Case = 'a missing file'; Make = { param($d) Join-Path $d 'gone' }; Id = 'BinaryNotFound' }
        ) {
            $d = Join-Path $TestDrive ($Case -replace '\W', '_')
            New-Item -ItemType Directory -Force $d | Out-Null
            $p = Join-Path $d 'project'
            New-OsvProject $p -BootCommand /app | Out-Null
            $bad = & $Make $d
            Push-Location $d
            try {
                $files = (Join-Path $libs 'libone.so.1'), $bad, (Join-Path $src 'app') | Add-OsvBinary -Project $p -ErrorVariable err -ErrorAction SilentlyContinue
            }
            finally { Pop-Location }
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
            "$($err[0].TargetObject)".EndsWith((Split-Path -Leaf $bad)) | Should -BeTrue -Because "the error names the input ($($err[0].TargetObject))"
            $files.GuestPath | Should -Contain '/usr/lib/libone.so.1'
            $files.GuestPath | Should -Contain '/app'
        }

        It 'reports a symlink loop as FileReadFailed and goes on' {
            $a = Join-Path $TestDrive 'loop-a'; $b = Join-Path $TestDrive 'loop-b'
            New-Item -ItemType SymbolicLink -Path $a -Target $b | Out-Null
            New-Item -ItemType SymbolicLink -Path $b -Target $a | Out-Null
            $files = Add-OsvBinary -LiteralPath $a, (Join-Path $libs 'libone.so.1') -Project $project -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'FileReadFailed,*'
            $err[0].Exception.Message | Should -Match 'symbolic links'
            $files.GuestPath | Should -Be '/usr/lib/libone.so.1'
        }

        It 'refuses a folder that is not a project' {
            { Add-OsvBinary (Join-Path $libs 'libone.so.1') -Project $TestDrive -ErrorAction Stop } | Should -Throw -ErrorId 'ProjectNotFound,OsvPS.Commands.AddOsvBinaryCommand'
        }
    }

    Context 'hostile projects (issue 26)' {
        BeforeAll {
            Set-Content (Join-Path $src 'hello.c') "#include <stdio.h>`nint main(void) { puts(`"hello`"); return 0; }"
            Set-Content (Join-Path $src 'swap.c') @'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
/* Swaps two names atomically (RENAME_EXCHANGE) until the stop file exists (at most 120 s); leaves them as found. */
int main(int argc, char **argv) {
    time_t end = time(NULL) + 120;
    long n = 0;
    while (access(argv[3], F_OK) != 0 && time(NULL) < end) {
        if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) != 0) { perror("renameat2"); return 1; }
        n++;
        usleep((n % 4) * 100);
    }
    if (n % 2) renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE);
    printf("%ld\n", n);
    return 0;
}
'@
            & gcc -O2 -o (Join-Path $src 'hello') (Join-Path $src 'hello.c')
            & gcc -O2 -o (Join-Path $src 'swap') (Join-Path $src 'swap.c')
            $hello = Join-Path $src 'hello'
        }

        It 'writes nothing outside while P/lib is swapped with a link to a folder outside, 400 times' {
            $p = Join-Path $TestDrive 'race'
            $outside = Join-Path $TestDrive 'race-outside'
            New-OsvProject $p -BootCommand /hello | Out-Null
            New-Item -ItemType Directory (Join-Path $p 'lib'), $outside | Out-Null
            New-Item -ItemType SymbolicLink -Path (Join-Path $p 'lib-swap') -Target $outside | Out-Null
            $stop = Join-Path $TestDrive 'race-stop'
            $start = [Diagnostics.ProcessStartInfo]::new((Join-Path $src 'swap'), [string[]]@((Join-Path $p 'lib'), (Join-Path $p 'lib-swap'), $stop))
            $start.RedirectStandardOutput = $true
            $swapper = [Diagnostics.Process]::Start($start)
            try {
                $placed = 1..400 | ForEach-Object { Add-OsvBinary $hello -Project $p -GuestPath "/lib/x/p$_" -Force -ErrorVariable +raced -ErrorAction SilentlyContinue }
            }
            finally {
                Set-Content $stop 'stop'
                if (-not $swapper.WaitForExit(20000)) { $swapper.Kill() }
            }
            [long]$swaps = $swapper.StandardOutput.ReadToEnd()
            $swaps | Should -BeGreaterThan 0
            @(Get-ChildItem -Force -Recurse $outside) | Should -BeNullOrEmpty -Because 'nothing, not even a temporary, lands outside the project'
            @($placed).Count + @($raced).Count | Should -Be 400
            @($raced | Where-Object { $_.FullyQualifiedErrorId -notmatch '^(FolderIsSymbolicLink|GuestPathInvalid),' }) | Should -BeNullOrEmpty
            @(Get-ChildItem -Force -Recurse $p -Filter '*.tmp') | Should -BeNullOrEmpty
            @(Get-ChildItem (Join-Path $p 'lib/x')).Count | Should -Be @($placed).Count
        }

        It 'refuses a project whose meta/ is a link, with FolderIsSymbolicLink' {
            $p = Join-Path $TestDrive 'linked-meta'
            $outside = Join-Path $TestDrive 'linked-meta-outside'
            New-Item -ItemType Directory $p, $outside | Out-Null
            Set-Content (Join-Path $outside 'run.yaml') "runtime: native`nconfig_set:`n  default:`n    bootcmd: /x`n"
            New-Item -ItemType SymbolicLink -Path (Join-Path $p 'meta') -Target $outside | Out-Null
            { Add-OsvBinary $hello -Project $p -ErrorAction Stop } | Should -Throw -ErrorId 'FolderIsSymbolicLink,OsvPS.Commands.AddOsvBinaryCommand'
            @(Get-ChildItem -Force $outside).Name | Should -Be 'run.yaml'
        }

        It 'leaves the temporary of a killed run out of the image, and the next run sweeps it' {
            $root = Join-Path $TestDrive 'killed-capstan'
            $saved = $env:CAPSTAN_ROOT
            New-TestRepository $root | Out-Null
            $env:CAPSTAN_ROOT = $saved
            $p = Join-Path $TestDrive 'killed'
            New-OsvProject $p -BootCommand /big | Out-Null
            # A 300 MB program: its copy takes long enough to be killed in the middle.
            $big = Join-Path $TestDrive 'big'
            Copy-Item $hello $big
            & truncate -s 300M $big
            $script = "`$env:CAPSTAN_ROOT = '$root'; Import-Module '$(Get-OsvTestModulePath)'; Add-OsvBinary '$big' -Project '$p'"
            $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script))
            [string[]] $arguments = @('-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded)
            if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') { $arguments = @(Join-Path $PSHOME 'pwsh.dll') + $arguments }
            $temporary = $null
            foreach ($attempt in 1..3) {
                $child = Start-Process -FilePath ([Environment]::ProcessPath) -ArgumentList $arguments -PassThru
                $until = [DateTime]::UtcNow.AddSeconds(60)
                while (-not $child.HasExited -and [DateTime]::UtcNow -lt $until) {
                    $temporary = [IO.Directory]::EnumerateFiles($p, '.big.*.tmp') | Select-Object -First 1
                    if ($temporary) { Stop-Process -Id $child.Id -Force; break }
                }
                $child.WaitForExit(20000) | Out-Null
                if ($temporary) { break }
                Remove-Item -LiteralPath (Join-Path $p 'big') -ErrorAction SilentlyContinue
            }
            $temporary | Should -Not -BeNullOrEmpty -Because 'the copy was killed in the middle in one of three tries'
            Test-Path -LiteralPath $temporary | Should -BeTrue
            Test-Path -LiteralPath (Join-Path $p 'big') | Should -BeFalse

            $saved = $env:CAPSTAN_ROOT
            $env:CAPSTAN_ROOT = $root
            try {
                $verbose = Build-OsvImage $p -NoBootstrap -SkipProgramCheck -Verbose 4>&1 | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message
                $verbose | Should -Contain '/run/default <- config set ''default'' of killed' -Because 'the verbose list names every file laid down'
                @($verbose | Where-Object { $_ -match '\.tmp' }) | Should -BeNullOrEmpty -Because "the build packs no temporary ($temporary)"
                Add-OsvBinary $hello -Project $p | Out-Null
                Test-Path -LiteralPath $temporary | Should -BeFalse -Because 'the next Add-OsvBinary sweeps a dead run''s temporary'
            }
            finally { $env:CAPSTAN_ROOT = $saved }
        }
    }
}
