# examples/debian-servers.ps1 on the real OSv kernel (OSVPS_TEST_OSV, else /var/lib/osvps/test-osv): Java, Node.js,
# PHP's built-in server, Ruby, haproxy and mosquitto from this machine's Debian packages, each the documented
# way (New-OsvProject with the program's boot command, Add-OsvDebianPackage -LinuxLinker, Build-OsvImage,
# Start-OsvInstance -Forward), answering from the host with what it serves. Straight into the kernel, haproxy
# from disk. Every wait is bounded (the script's -Seconds); each instance is stopped in AfterAll whatever happened.
BeforeDiscovery {
    $cases = @(
        @{ Program = 'java'; Package = 'openjdk-17-jre-headless'; Mode = 'Kernel'; Expect = "^HTTP/1\.1 200 OK\r\n(.*\r\n)*\r\njava 17\.[\d.]+ on OSv\n$" }
        @{ Program = 'node'; Package = 'nodejs'; Mode = 'Kernel'; Expect = "^HTTP/1\.1 200 OK\r\n(.*\r\n)*\r\nnode v[\d.]+ on OSv\n$" }
        # Europe/Paris is read from tzdata's /usr/share/zoneinfo, which the default scope brings with php8.2-cli.
        @{ Program = 'php'; Package = 'php8.2-cli'; Mode = 'Kernel'; Expect = "^HTTP/1\.0 200 OK\r\n(.*\r\n)*X-Powered-By: PHP/8\.2[\d.]*\r\n(.*\r\n)*\r\nphp 8\.2\.\d+ on OSv; Paris in January: CET \+01:00\n$" }
        # 'socket' and rbconfig are libruby3.1's, which the default scope brings with ruby3.1.
        @{ Program = 'ruby'; Package = 'ruby3.1'; Mode = 'Kernel'; Expect = "^HTTP/1\.0 200 OK\r\nContent-Length: 18\r\n\r\nruby 3\.1\.\d on OSv\n$" }
        @{ Program = 'haproxy'; Package = 'haproxy'; Mode = 'Disk'; Expect = "^HTTP/1\.1 200 OK\r\n(.*\r\n)*\r\nhaproxy on OSv$" }
        @{ Program = 'mosquitto'; Package = 'mosquitto'; Mode = 'Kernel'; Expect = '^20 02 00 00$' }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $osv = Find-RealOsv
    if ($osv.Loader) { New-RealOsvRepository (Join-Path $TestDrive 'capstan') $osv | Out-Null }
    $script = Join-Path $PSScriptRoot '../../examples/debian-servers.ps1'
    # Why a server cannot be tried here ($null when it can).
    function Get-SkipReason($Case) {
        if (-not $osv.Loader) { return $osv.Reason }
        if (Get-DebianSkipReason $Case.Package) { return Get-DebianSkipReason $Case.Package }
        if ($Case.Program -eq 'java' -and -not (Get-Command javac -ErrorAction Ignore)) { return 'javac is not installed (apt-get install openjdk-17-jdk-headless): the test compiles the server' }
        $null
    }
}

AfterAll {
    Get-OsvInstance 'debian-*' -ErrorAction SilentlyContinue | Stop-OsvInstance -ErrorAction SilentlyContinue | Out-Null
    Get-OsvInstance 'debian-*' -ErrorAction SilentlyContinue | Remove-OsvInstance -Force -ErrorAction SilentlyContinue
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'examples/debian-servers.ps1: <Program> from its Debian package on the real OSv kernel, booted from <Mode>' -ForEach $cases {
    BeforeAll {
        $skip = Get-SkipReason $_
        if (-not $skip) {
            $warned = $null
            $row = & $script -Only $Program -Folder (Join-Path $TestDrive 'servers') -BootMode $Mode -Seconds 90 -Keep -WarningVariable warned -WarningAction SilentlyContinue
            $console = { Get-Content -Raw -LiteralPath (Join-Path $env:CAPSTAN_ROOT "instances/qemu/debian-$Program/console.log") -ErrorAction SilentlyContinue }
        }
    }

    AfterAll {
        if (-not $skip) {
            Stop-OsvInstance "debian-$Program" -ErrorAction SilentlyContinue | Out-Null
            Remove-OsvInstance "debian-$Program" -Force -ErrorAction SilentlyContinue
        }
    }

    It 'answers from the host through the forward with what it serves (mosquitto: CONNACK, and a publish/subscribe round trip when mosquitto-clients is installed), its boot command started on Linux''s linker by Add-OsvDebianPackage' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        $row.Answered | Should -BeTrue -Because "console:`n$(& $console)"
        $row.Answer | Should -Match $Expect
        $row.BootMode | Should -Be $Mode
        $row.Seconds | Should -BeLessThan 90
        $boot = (Get-OsvProject (Join-Path $TestDrive "servers/$Program")).ConfigSets[0].BootCommand
        $boot | Should -BeLike '/lib64/ld-linux-x86-64.so.2 *' -Because 'New-OsvProject was given the program''s own path'
        @($warned | Where-Object { "$_" -like '*on Linux''s dynamic linker*' }) | Should -BeNullOrEmpty -Because 'the programs are carried for that linker'
        if ($Program -eq 'mosquitto' -and @(Get-Command mosquitto_pub, mosquitto_sub -ErrorAction Ignore).Count -eq 2) {
            # A publish/subscribe round trip with mosquitto-clients: retained, so the subscriber that comes after gets it.
            & timeout 20 mosquitto_pub -h 127.0.0.1 -p $row.Port -t osvps/test -m 'carried by OSvPS' -r -q 1
            $LASTEXITCODE | Should -Be 0
            & timeout 20 mosquitto_sub -h 127.0.0.1 -p $row.Port -t osvps/test -C 1 -W 15 | Should -Be 'carried by OSvPS'
        }
        Write-Host "    $Program answered $($row.Seconds) s after Start-OsvInstance ($Mode)"
    }

    It 'stops cleanly' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        (Stop-OsvInstance "debian-$Program" -PassThru).State | Should -Be 'Stopped'
        Test-PortListening $row.Port | Should -BeFalse
    }
}

Describe 'Add-OsvDebianPackage without -LinuxLinker says which of them need it, before anything boots' {
    It 'warns that <_> cannot run, or may stop, on OSv''s linker and that -LinuxLinker runs it' -ForEach 'haproxy', 'ruby3.1', 'php8.2-cli', 'mosquitto' {
        if (Skip-WithoutOsv $osv) { return }
        if (Get-DebianSkipReason $_) { Set-ItResult -Skipped -Because (Get-DebianSkipReason $_); return }
        $p = Join-Path $TestDrive "verdict-$_"
        New-OsvProject $p -BootCommand /x | Out-Null
        Add-OsvDebianPackage $_ -Project $p -DependencyScope None -WarningVariable warned -WarningAction SilentlyContinue | Out-Null
        $said = @($warned | ForEach-Object { "$_" }) -join "`n"
        $said | Should -Match "(cannot run|may stop) on OSv's linker"
        $said | Should -Match ([regex]::Escape("Linux's dynamic linker runs it: carry it with -LinuxLinker"))
        if ($_ -eq 'haproxy') { $said | Should -Match "'/usr/sbin/haproxy' cannot run on OSv's linker .*thread-local storage" }
    }
}
