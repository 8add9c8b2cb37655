# Readiness on the real OSv kernel (OSVPS_TEST_OSV, else /var/lib/osvps/test-osv): a small server compiled here runs
# in the guest behind -Forward (it waits some seconds, then listens and answers HTTP), and Start-OsvInstance
# -WaitReady, Wait-OsvInstance -Ready and Test-OsvInstance probe it from the host through QEMU's forward. QEMU's
# user networking accepts a forwarded connection before anything listens in the guest, so each "ready" is checked
# against the console: the server had said it listens. Every wait has a -Timeout; every instance is stopped in
# AfterAll. Without a real OSv each test says it skipped and why.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'ServerHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $osv = Find-RealOsv
    $limit = 90

    if ($osv.Loader) {
        New-RealOsvRepository (Join-Path $TestDrive 'capstan') $osv | Out-Null
        $source = Join-Path $TestDrive 'readysrv.c'
        # readysrv DELAY PORT [STATUS]  prints that it waits, sleeps DELAY s, listens on PORT, prints that it listens,
        #                               and answers every request 'HTTP/1.0 STATUS' (default 200 OK) with 'ok'
        # readysrv exit N               prints a line and returns N at once
        Set-Content -LiteralPath $source -Value @'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "exit")) {
        printf("readysrv: exiting with %s\n", argv[2]);
        return atoi(argv[2]);
    }
    int delay = argc > 1 ? atoi(argv[1]) : 0;
    int port = argc > 2 ? atoi(argv[2]) : 8000;
    const char *status = argc > 3 ? argv[3] : "200 OK";
    printf("readysrv: waiting %d s\n", delay);
    fflush(stdout);
    sleep(delay);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 16)) { perror("readysrv"); return 2; }
    printf("readysrv: listening on %d\n", port);
    fflush(stdout);
    for (;;) {
        int c = accept(s, 0, 0);
        if (c < 0) continue;
        char buf[4096];
        int got = 0, n;
        while (got < (int)sizeof buf - 1 && (n = read(c, buf + got, sizeof buf - 1 - got)) > 0) {
            got += n;
            buf[got] = 0;
            if (strstr(buf, "\r\n\r\n")) break;
        }
        char answer[256];
        int len = snprintf(answer, sizeof answer, "HTTP/1.0 %s\r\nContent-Length: 3\r\n\r\nok\n", status);
        write(c, answer, len);
        close(c);
    }
}
'@
        $program = Join-Path $TestDrive 'readysrv'
        & gcc -fPIE -pie -O2 -o $program $source
        if ($LASTEXITCODE) { throw 'gcc failed on readysrv.c' }
        $project = Join-Path $TestDrive 'ready'
        New-OsvProject $project -BootCommand '/readysrv 0 8000' | Out-Null
        Add-OsvBinary $program -Project $project | Out-Null
        $image = Build-OsvImage $project
    }
    $http = "GET / HTTP/1.0`r`n`r`n"
}

AfterAll {
    if ($osv.Loader) { Get-OsvInstance | Remove-OsvInstance -Force -Confirm:$false -ErrorAction SilentlyContinue; Stop-TestInstances }
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'Start-OsvInstance -WaitReady on the real OSv kernel' {
    It 'tcp:GUESTPORT returns the running instance only once the server in the guest listens, and a request then succeeds' {
        if (Skip-WithoutOsv $osv) { return }
        $port = Get-FreePort
        $instance = Start-OsvInstance $image -Name tcp-ready -CommandLine '/readysrv 4 8000' -Forward "${port}:8000" -WaitReady tcp:8000 -Timeout $limit
        $instance.State | Should -Be 'Running'
        $instance.Name | Should -Be 'tcp-ready'
        # It came back after the server said it listens (QEMU's forward alone would have taken a connection at once).
        Get-OsvInstanceLog tcp-ready | Should -Contain 'readysrv: listening on 8000'
        Send-TcpText $port $http | Should -Match '^HTTP/1\.0 200 OK\r\n'
        Stop-OsvInstance tcp-ready -Force -Confirm:$false | Out-Null
    }

    It 'http://127.0.0.1:HOSTPORT/ returns the running instance once it answers 200; Test-OsvInstance then says Ready for each probe' {
        if (Skip-WithoutOsv $osv) { return }
        $port = Get-FreePort
        $instance = Start-OsvInstance $image -Name http-ready -BootMode Disk -CommandLine '/readysrv 3 8000' -Forward "${port}:8000" -WaitReady "http://127.0.0.1:$port/" -Timeout $limit
        $instance.State | Should -Be 'Running'
        $instance.BootMode | Should -Be 'Disk'
        Send-TcpText $port $http | Should -Match '^HTTP/1\.0 200 OK\r\n'

        $results = @(Get-OsvInstance http-ready | Test-OsvInstance -Probe "http://localhost:$port/")
        $results.Count | Should -Be 1
        ($results[0].Name, $results[0].Probe, $results[0].Ready, $results[0].Detail) | Should -Be @('http-ready', "http://localhost:$port/", $true, 'HTTP 200')
        $results[0].Checked | Should -BeOfType [DateTime]
        $results[0].Elapsed | Should -BeOfType [TimeSpan]
        $tcp = Test-OsvInstance http-ready -Probe tcp:8000
        $tcp.Ready | Should -BeTrue
        $tcp.Detail | Should -Be "connected to 127.0.0.1:$port (guest port 8000), held"
        (Test-OsvInstance http-ready).Detail | Should -Be 'Running'
        (Test-OsvInstance http-ready -Probe 'console:^readysrv: listening on 8000$').Detail | Should -Be 'line: readysrv: listening on 8000'
        $missing = Test-OsvInstance http-ready -Probe 'console:^no such line$'
        ($missing.Ready, $missing.Detail) | Should -Be @($false, 'no such line yet')
        Stop-OsvInstance http-ready -Force -Confirm:$false | Out-Null
        $stopped = Test-OsvInstance http-ready -Probe tcp:8000
        ($stopped.Ready, $stopped.Detail) | Should -Be @($false, 'Stopped')
    }

    It 'console:REGEX returns once the program prints a matching line' {
        if (Skip-WithoutOsv $osv) { return }
        $port = Get-FreePort
        $instance = Start-OsvInstance $image -Name console-ready -CommandLine '/readysrv 2 8000' -Forward "${port}:8000" -WaitReady 'console:^readysrv: listening on \d+$' -Timeout $limit
        $instance.State | Should -Be 'Running'
        Get-OsvInstanceLog console-ready | Should -Contain 'readysrv: listening on 8000'
        Stop-OsvInstance console-ready -Force -Confirm:$false | Out-Null
    }

    It 'a probe that never answers is NotReady after -Timeout, with the console''s last lines; the instance keeps running' {
        if (Skip-WithoutOsv $osv) { return }
        $port = Get-FreePort
        $out = Start-OsvInstance $image -Name never-ready -CommandLine '/readysrv 600 8000' -Forward "${port}:8000" -WaitReady tcp:8000 -Timeout 8 -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NotReady,*'
        $err[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        $err[0].TargetObject.Name | Should -Be 'never-ready'
        $message = $err[0].Exception.Message
        $message | Should -BeLike "instance 'never-ready' was not ready after 8 s (tcp:8000; last check: *the forward closed the connection at once*); it keeps running (Stop-OsvInstance never-ready).*"
        $message | Should -Match 'lines of its console:\n(  .*\n)*  readysrv: waiting 600 s'
        (Get-OsvInstance never-ready).State | Should -Be 'Running'
        $probe = Test-OsvInstance never-ready -Probe tcp:8000
        $probe.Ready | Should -BeFalse
        $probe.Detail | Should -Match 'closed the connection at once'
        Stop-OsvInstance never-ready -Force -Confirm:$false | Out-Null
    }

    It 'an http answer of 500 is not ready: NotReady names it' {
        if (Skip-WithoutOsv $osv) { return }
        $port = Get-FreePort
        Start-OsvInstance $image -Name http-500 -CommandLine '/readysrv 0 8000 500' -Forward "${port}:8000" -WaitReady "http://127.0.0.1:$port/" -Timeout 8 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NotReady,*'
        $err[0].Exception.Message | Should -BeLike "*(http://127.0.0.1:$port/; last check: HTTP 500)*"
        (Test-OsvInstance http-500 -Probe "http://127.0.0.1:$port/").Detail | Should -Be 'HTTP 500'
        Stop-OsvInstance http-500 -Force -Confirm:$false | Out-Null
    }

    It 'an instance that ends before it is ready fails the call at once with how it ended, not after -Timeout' {
        if (Skip-WithoutOsv $osv) { return }
        $port = Get-FreePort
        Start-OsvInstance $image -Name ends-first -CommandLine '/readysrv exit 3' -Forward "${port}:8000" -WaitReady tcp:8000 -Timeout 600 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NotReady,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidResult'
        $err[0].Exception.Message | Should -BeLike "instance 'ends-first' ended before it was ready (tcp:8000; last check: *): Failed, program /readysrv returned 3.*readysrv: exiting with 3*"
        $ended = Get-OsvInstance ends-first
        ($ended.State, $ended.ExitCode) | Should -Be @('Failed', 3)
    }
}

Describe 'Wait-OsvInstance -Ready on the real OSv kernel' {
    It 'waits for a running instance to answer and returns it; an ended one is NotReady at once' {
        if (Skip-WithoutOsv $osv) { return }
        $port = Get-FreePort
        Start-OsvInstance $image -Name waited -CommandLine '/readysrv 4 8000' -Forward "${port}:8000" | Out-Null
        $ready = Get-OsvInstance waited | Wait-OsvInstance -Ready "http://127.0.0.1:$port/" -Timeout $limit
        $ready.State | Should -Be 'Running'
        Get-OsvInstanceLog waited | Should -Contain 'readysrv: listening on 8000'
        Send-TcpText $port $http | Should -Match '^HTTP/1\.0 200 OK\r\n'
        Stop-OsvInstance waited -Force -Confirm:$false | Out-Null
        Wait-OsvInstance waited -Ready tcp:8000 -Timeout 30 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NotReady,*'
        $err[0].Exception.Message | Should -BeLike "instance 'waited' is not running, so it will not be ready (tcp:8000): Stopped*"
    }
}
