# Everything that reaches the guest, on a real OSv kernel (OSVPS_TEST_OSV, else /var/lib/osvps/test-osv), booted
# from disk and straight into the kernel. Where no real OSv is at hand, each test says it skipped and why.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $osv = Find-RealOsv
    # Every -Wait has a timeout: a guest that hangs fails its test instead of the run.
    $limit = 60

    if ($osv.Loader) {
        New-RealOsvRepository (Join-Path $TestDrive 'capstan') $osv | Out-Null
        $build = Join-Path $TestDrive 'build'
        New-Item -ItemType Directory $build | Out-Null
        $probe = New-OsvProbe (Join-Path $build 'probe')
        $bigSize = 20MB + 123

        # A package other projects require: a file of its own and a config set to inherit from.
        $lib = Join-Path $TestDrive 'lib'
        New-OsvProject $lib -Name lib.pkg -BootCommand '/probe args from-package' | Out-Null
        Set-Content -LiteralPath (Join-Path $lib 'meta/run.yaml') -Value @'
runtime: native
config_set:
  base_set:
    bootcmd: /probe args from-package
    env: { PKGVAR: "pkg value", SHARED: base }
'@
        Set-Content -LiteralPath (Join-Path $lib 'pkgfile.txt') -Value 'from the package' -NoNewline
        Export-OsvPackage $lib | Out-Null

        $project = Join-Path $TestDrive 'guest'
        New-OsvProject $project -BootCommand '/probe args' -Require lib.pkg | Out-Null
        Set-Content -LiteralPath (Join-Path $project 'meta/run.yaml') -Value @'
runtime: native
config_set:
  default:
    bootcmd: /probe args one "two three"
    env:
      A: hello world
      B: a;b
      C: x&y!z
      D: say "hi"
      E: 'c:\dir\n'
  say_hey:
    bootcmd: /probe args Hey hey
    env: { PORT: "8000" }
  files:
    bootcmd: /probe files /nested/a/b/c/deep.txt /nested/a /link-rel /abs-link /secret.txt /nested/x.tmp /pkgfile.txt /etc/hosts /dev
  big:
    bootcmd: /probe verify /big.bin 20971643 7
  inherited:
    base: lib.pkg:base_set
    env: { SHARED: mine, OWN: own }
  serve:
    bootcmd: /probe serve 8080
  missing:
    bootcmd: /echo.so Hey
  nosym:
    bootcmd: /probe nosym
config_set_default: default
'@
        Add-OsvBinary $probe -Project $project | Out-Null
        New-Item -ItemType Directory -Force (Join-Path $project 'nested/a/b/c') | Out-Null
        Set-Content -LiteralPath (Join-Path $project 'nested/a/b/c/deep.txt') -Value 'deep down' -NoNewline
        Set-Content -LiteralPath (Join-Path $project 'nested/x.tmp') -Value 'ignored'
        Set-Content -LiteralPath (Join-Path $project 'secret.txt') -Value 'ignored'
        Set-Content -LiteralPath (Join-Path $project '.capstanignore') -Value "# not for the guest`n/secret.txt`n/**/*.tmp`n"
        New-Item -ItemType SymbolicLink -Path (Join-Path $project 'link-rel') -Target 'nested/a/b/c/deep.txt' | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $project 'abs-link') -Target (Join-Path $project 'nested/a') | Out-Null
        & $probe gen (Join-Path $project 'big.bin') $bigSize 7
        if ($LASTEXITCODE) { throw 'probe gen failed' }

        # The image's own command line: four config sets and hard env from the build.
        # The 'missing' set boots a program the image lacks on purpose: its failure is tested on the kernel.
        $image = Build-OsvImage $project -Boot default, files, big, inherited -Env @{ BUILD = 'b u;i\ld' } -SkipProgramCheck

        # Host programs, each with the libraries it needs.
        $hostProject = Join-Path $TestDrive 'hostprogs'
        New-OsvProject $hostProject -BootCommand '/xz --version' | Out-Null
        $placed = '/usr/bin/xz', '/usr/bin/gzip', '/usr/bin/jq', '/usr/bin/sqlite3', '/usr/bin/openssl', '/usr/bin/zstd' | Add-OsvBinary -Project $hostProject
        $hostImage = Build-OsvImage $hostProject
    }
}

AfterAll {
    Stop-TestInstances
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'On the real OSv kernel, booted from <_>' -ForEach 'Disk', 'Kernel' {
    BeforeAll { $mode = $_ }

    It 'runs the image''s own command line: config sets, soft env quoting, hard env, files, a package and base inheritance' {
        if (Skip-WithoutOsv $osv) { return }
        $output = Start-OsvInstance $image -Name "own-$mode" -BootMode $mode -Wait -Timeout $limit
        $lines = Get-ConsoleLines $output
        $instance = Get-FinalInstance $output
        $instance.State | Should -Be 'Stopped' -Because ($lines -join "`n")
        $instance.BootMode | Should -Be $mode
        # default: arguments as OSv's command grammar reads them, env values byte for byte.
        $lines | Should -Contain 'arg[0]=<one>'
        $lines | Should -Contain 'arg[1]=<two three>'
        $lines | Should -Contain 'env[A]=<hello world>'
        $lines | Should -Contain 'env[B]=<a;b>'
        $lines | Should -Contain 'env[C]=<x&y!z>'
        $lines | Should -Contain 'env[D]=<say "hi">'
        $lines | Should -Contain 'env[E]=<c:\dir\n>'
        $lines | Should -Contain 'env[BUILD]=<b u;i\ld>'
        # files: nested folders, .capstanignore, both kinds of symlink, the package's file, the bootstrap.
        $lines | Should -Contain 'file /nested/a/b/c/deep.txt size=9 content=<deep down>'
        $lines | Should -Contain 'dir /nested/a: b'
        $lines | Should -Contain 'link /link-rel -> nested/a/b/c/deep.txt'
        $lines | Should -Contain 'link /abs-link -> /nested/a'
        $lines | Should -Contain 'missing /secret.txt'
        $lines | Should -Contain 'missing /nested/x.tmp'
        $lines | Should -Contain 'file /pkgfile.txt size=16 content=<from the package>'
        $lines | Where-Object { $_ -like 'file /etc/hosts size=*' } | Should -Not -BeNullOrEmpty
        $lines | Where-Object { $_ -like 'dir /dev:*' } | Should -Not -BeNullOrEmpty
        # big: a 20 MiB file read back whole.
        $lines | Should -Contain "verify /big.bin: $bigSize bytes ok"
        # inherited: the package's boot command, its env overridden and extended by the set's own.
        $lines | Should -Contain 'arg[0]=<from-package>'
        $lines | Should -Contain 'env[PKGVAR]=<pkg value>'
        $lines | Should -Contain 'env[SHARED]=<mine>'
        $lines | Should -Contain 'env[OWN]=<own>'
    }

    It 'runs config sets picked with -Boot and env given with -Env at start' {
        if (Skip-WithoutOsv $osv) { return }
        $hash = (Get-FileHash $image.Path).Hash
        # A double quote is more than QEMU's config file holds, so that value would be -append: a kernel boot gets one without.
        $run = if ($mode -eq 'Kernel') { 'r u;n q' } else { 'r u;n "q"' }
        $output = Start-OsvInstance $image -Name "boot-$mode" -BootMode $mode -Boot say_hey -Env @{ RUN = $run } -Wait -Timeout $limit
        $lines = Get-ConsoleLines $output
        (Get-FinalInstance $output).State | Should -Be 'Stopped' -Because ($lines -join "`n")
        $lines | Should -Contain 'arg[0]=<Hey>'
        $lines | Should -Contain 'arg[1]=<hey>'
        $lines | Should -Contain 'env[PORT]=<8000>'
        $lines | Should -Contain "env[RUN]=<$run>"
        $lines | Where-Object { $_ -like 'env`[BUILD`]=*' } | Should -BeNullOrEmpty
        (Get-FileHash $image.Path).Hash | Should -Be $hash -Because 'a run rewrites the command line in its overlay, never in the image'
    }

    It 'runs -CommandLine as written, several commands included' {
        if (Skip-WithoutOsv $osv) { return }
        $lines = Get-ConsoleLines (Start-OsvInstance $image -Name "cmd-$mode" -BootMode $mode -CommandLine '/probe args "x y" z; /probe args second' -Wait -Timeout $limit)
        $lines | Should -Contain 'arg[0]=<x y>'
        $lines | Should -Contain 'arg[1]=<z>'
        $lines | Should -Contain 'arg[0]=<second>'
    }

    It 'serves a forwarded port while running, then stops, waits and removes' {
        if (Skip-WithoutOsv $osv) { return }
        $port = Get-FreePort
        $name = "serve-$mode"
        $instance = Start-OsvInstance $image -Name $name -BootMode $mode -Boot serve -Forward "${port}:8080"
        $instance.State | Should -Be 'Running'
        $client = [Net.Http.HttpClient]::new()
        $client.Timeout = [TimeSpan]::FromSeconds(5)
        $body = $null
        $deadline = [DateTime]::UtcNow.AddSeconds(40)
        while (-not $body -and [DateTime]::UtcNow -lt $deadline) {
            try { $body = $client.GetStringAsync("http://127.0.0.1:$port/").GetAwaiter().GetResult() } catch { Start-Sleep -Milliseconds 300 }
        }
        $client.Dispose()
        $body | Should -Be "hello from osv`n" -Because ((Get-OsvInstanceLog $name) -join "`n")
        Get-OsvInstanceLog $name | Should -Contain 'serving on 8080'
        (Stop-OsvInstance $name -PassThru).State | Should -Be 'Stopped'
        (Wait-OsvInstance $name -Timeout 10).State | Should -Be 'Stopped'
        Test-PortListening $port | Should -BeFalse
        Remove-OsvInstance $name
        Get-OsvInstance $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'reports <Case> as a failure: state Failed, OSv''s line as reason, one <Id> error, and no wait for -Timeout' -ForEach @(
        @{ Case = 'a missing program'; Boot = 'missing'; Id = 'GuestProgramNotFound'; Reason = 'Failed to load object: /echo.so. Powering off.' }
        @{ Case = 'a symbol OSv lacks'; Boot = 'nosym'; Id = 'GuestSymbolNotFound'; Reason = '/probe: failed looking up symbol tdelete' }
    ) {
        if (Skip-WithoutOsv $osv) { return }
        $name = "$Boot-$mode"
        $output = Start-OsvInstance $image -Name $name -BootMode $mode -Boot $Boot -Wait -Timeout 100 -ErrorVariable failure -ErrorAction SilentlyContinue -WarningVariable warned -WarningAction SilentlyContinue
        ($warned -join "`n") | Should -Not -Match 'ran longer than' -Because 'the failure ends the guest, not the timeout'
        $instance = Get-FinalInstance $output
        $instance.State | Should -Be 'Failed'
        $instance.Reason | Should -Be $Reason
        $instance.FailureId | Should -Be $Id
        $failure.Count | Should -Be 1
        $failure[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $failure[0].CategoryInfo.Category | Should -Be 'InvalidResult'
        $failure[0].TargetObject.Name | Should -Be $name
        (Get-OsvInstance $name).State | Should -Be 'Failed'
        if ($Boot -eq 'nosym') { Get-ConsoleLines $output | Should -Contain '[backtrace]' }
    }

    It 'reports the failure of a background instance through Get-OsvInstance and Wait-OsvInstance' {
        if (Skip-WithoutOsv $osv) { return }
        $name = "bg-nosym-$mode"
        Start-OsvInstance $image -Name $name -BootMode $mode -Boot nosym | Out-Null
        $ended = Wait-OsvInstance $name -Timeout 60 -ErrorVariable failure -ErrorAction SilentlyContinue
        $ended.State | Should -Be 'Failed'
        $failure[0].FullyQualifiedErrorId | Should -BeLike 'GuestSymbolNotFound,*'
        $listed = Get-OsvInstance $name
        $listed.State | Should -Be 'Failed'
        $listed.Reason | Should -Be '/probe: failed looking up symbol tdelete'
        { Wait-OsvInstance $name -ErrorAction Stop } | Should -Throw -ErrorId 'GuestSymbolNotFound,*'
    }

    It 'runs a host program added with Add-OsvBinary, with its library' {
        if (Skip-WithoutOsv $osv) { return }
        $output = Start-OsvInstance $hostImage -Name "xz-$mode" -BootMode $mode -CommandLine '/xz --version' -Wait -Timeout $limit
        $lines = Get-ConsoleLines $output
        (Get-FinalInstance $output).State | Should -Be 'Stopped' -Because ($lines -join "`n")
        $lines | Where-Object { $_ -like 'xz (XZ Utils) *' } | Should -Not -BeNullOrEmpty
        $lines | Where-Object { $_ -like 'liblzma *' } | Should -Not -BeNullOrEmpty
    }
}

Describe 'Host programs on the real OSv kernel' {
    # One boot each: a program that calls exit() powers OSv off, so the next command never runs.
    It 'runs <_> with the libraries Add-OsvBinary carried' -ForEach @(
        '/gzip --version', '/jq --version', '/sqlite3 --version', '/openssl version', '/zstd --version'
    ) {
        if (Skip-WithoutOsv $osv) { return }
        $program = ($_ -split ' ')[0]
        $output = Start-OsvInstance $hostImage -Name "host-$($program.TrimStart('/'))" -BootMode Kernel -CommandLine $_ -Wait -Timeout $limit
        $lines = Get-ConsoleLines $output
        (Get-FinalInstance $output).State | Should -Be 'Stopped' -Because ($lines -join "`n")
        $expected = @{ '/gzip' = 'gzip 1.*'; '/jq' = 'jq-1.*'; '/sqlite3' = '3.*'; '/openssl' = 'OpenSSL 3.*'; '/zstd' = '*Zstandard CLI*' }[$program]
        $lines | Where-Object { $_ -like $expected } | Should -Not -BeNullOrEmpty -Because ($lines -join "`n")
    }
}

Describe 'Images for the real OSv kernel' {
    It 'hold the whole loader, up to its last byte, and put the file system at the next 2 MiB' {
        if (Skip-WithoutOsv $osv) { return }
        $raw = Build-OsvImage $project -Name guest-raw -Format Raw -SkipProgramCheck
        $loader = [IO.File]::ReadAllBytes($osv.Loader)
        $units = $loader[0x10] + 256 * $loader[0x11]
        $size = 65536 + $units * 32768
        $size | Should -Be $loader.Length
        $stream = [IO.File]::OpenRead($raw.Path)
        try {
            $head = [byte[]]::new($size)
            $stream.ReadExactly($head, 0, $size)
        }
        finally { $stream.Dispose() }
        # Byte for byte the loader, apart from the command line (512..) and partition entry 2.
        [Linq.Enumerable]::SequenceEqual([byte[]]$head[32768..($size - 1)], [byte[]]$loader[32768..($size - 1)]) | Should -BeTrue
        $start = [BitConverter]::ToUInt32($head, 0x1CE + 8) * 512
        $start | Should -Be ([Math]::Ceiling($size / 2MB) * 2MB)
    }

    It 'refuses a non-ASCII env value and writes no image' {
        if (Skip-WithoutOsv $osv) { return }
        { Build-OsvImage $project -Name never -Env @{ GREETING = 'grüße' } -ErrorAction Stop } | Should -Throw -ErrorId 'EnvInvalid,*'
        Get-OsvImage never -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path (Join-Path $env:CAPSTAN_ROOT 'repository/never') | Should -BeFalse
    }

    It 'carries every library the host programs need and none the kernel supplies' {
        if (Skip-WithoutOsv $osv) { return }
        $placed.GuestPath | Should -Contain '/usr/lib/liblzma.so.5'
        $placed.GuestPath | Should -Contain '/usr/lib/libjq.so.1'
        $placed.GuestPath | Should -Contain '/usr/lib/libsqlite3.so.0'
        $placed.GuestPath | Should -Contain '/usr/lib/libcrypto.so.3'
        $placed.GuestPath | Should -Not -Contain '/usr/lib/libc.so.6'
        $placed.GuestPath | Should -Not -Contain '/usr/lib/libm.so.6'
    }

    It 'carries libselinux for Debian''s ls: the kernel does not supply it' {
        if (Skip-WithoutOsv $osv) { return }
        $lsProject = Join-Path $TestDrive 'ls'
        New-OsvProject $lsProject -BootCommand '/ls' | Out-Null
        (Add-OsvBinary /usr/bin/ls -Project $lsProject).GuestPath | Should -Contain '/usr/lib/libselinux.so.1'
    }
}
