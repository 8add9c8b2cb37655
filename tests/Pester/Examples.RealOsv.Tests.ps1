# The scripts in examples/ on the real OSv kernel (OSVPS_TEST_OSV, else /var/lib/osvps/test-osv), booted from disk
# and straight into the kernel: each takes the host's own Debian package to a server that answers
# from the host on 127.0.0.1 through its forward, and stops cleanly. Each QEMU runs under -Wait with
# -Timeout in a thread job, and is stopped in AfterAll whatever happened.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'ServerHelpers.psm1') -Force
    # OSVPS_TEST_EXAMPLES=redis,nginx runs only those examples (all by default).
    $only = if ($env:OSVPS_TEST_EXAMPLES) { $env:OSVPS_TEST_EXAMPLES -split ',' } else { $null }
    $cases = foreach ($example in Get-ServerExample | Where-Object { -not $only -or $_.Name -in $only }) {
        foreach ($mode in 'Disk', 'Kernel') { @{ Example = $example; Mode = $mode; Case = $example.Name } }
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'ServerHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $osv = Find-RealOsv
    if ($osv.Loader) { New-RealOsvRepository (Join-Path $TestDrive 'capstan') $osv | Out-Null }
    # What the job printed: the console's lines, and its errors (a script that failed before the guest ran).
    function Console($job) { @(Receive-Job $job -Keep 2>&1 | Where-Object { $_ -is [string] -or $_ -is [Management.Automation.ErrorRecord] } | ForEach-Object { "$_" }) -join "`n" }
}

AfterAll {
    Stop-TestInstances
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'examples/<Case>.ps1 on the real OSv kernel, booted from <Mode>' -ForEach $cases {
    BeforeAll {
        $skip = if (-not $osv.Loader) { $osv.Reason } else { Get-ServerSkipReason $Example }
        if (-not $skip) {
            $name = "$($Example.Name)-$($Mode.ToLowerInvariant())"
            $port = Get-FreePort
            $job = Start-ServerExample $Example -Port $port -Name $name -Project (Join-Path $TestDrive $Example.Name) -BootMode $Mode
            $answered = Wait-ServerAnswer $Example -Port $port -Job $job
            $instance = Get-OsvInstance $name -ErrorAction SilentlyContinue
        }
    }

    AfterAll {
        if (-not $skip) {
            Stop-OsvInstance $name -ErrorAction SilentlyContinue | Out-Null
            $job | Wait-Job -Timeout 60 | Out-Null
            $job | Remove-Job -Force
            Remove-OsvInstance $name -Force -ErrorAction SilentlyContinue
        }
    }

    It 'answers from the host on 127.0.0.1 through the forward, with what the package serves' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        $answered | Should -Not -BeNullOrEmpty -Because "the server must answer on 127.0.0.1:$port; console:`n$(Console $job)"
        $instance.State | Should -Be 'Running'
        $instance.BootMode | Should -Be $Mode
        switch ($Example.Name) {
            'nginx' {
                # Debian's own welcome page, carried from nginx-common, byte for byte.
                $page = [IO.File]::ReadAllText('/usr/share/nginx/html/index.html')
                $answered.Answer | Should -BeLike "*`r`n`r`n$page"
                $answered.Answer | Should -Match 'Server: nginx/'
            }
            'lighttpd' {
                $answered.Answer | Should -Match "\r\n\r\n<h1>lighttpd on OSv</h1>\n$"
                # mod_status is loaded from the package's /usr/lib/lighttpd.
                $status = Send-TcpText $port "GET /server-status HTTP/1.0`r`n`r`n"
                $status | Should -Match '^HTTP/1\.0 200 OK'
                $status | Should -Match 'lighttpd/1\.4'
            }
            'python-http' {
                $answered.Answer | Should -Match "Server: SimpleHTTP/[\d.]+ Python/3"
                $answered.Answer | Should -Match "\r\n\r\n<h1>Python http.server on OSv</h1>\n$"
            }
            default { $answered.Answer | Should -Match $Example.Expect }
        }
    }

    It 'listens on the host on 127.0.0.1 only (Assert-LoopbackOnly: fails until -Forward binds 127.0.0.1)' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        if (-not $answered) { Set-ItResult -Skipped -Because 'the server did not answer (see the test above)'; return }
        Assert-LoopbackOnly -ProcessId $instance.Pid -Port $port
    }

    It 'stops cleanly: the instance is Stopped, the port closed, the console without a failure' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        (Stop-OsvInstance $name -PassThru).State | Should -Be 'Stopped'
        $job | Wait-Job -Timeout 60 | Out-Null
        $job.State | Should -Be 'Completed'
        $output = @(Receive-Job $job -Keep)
        $last = $output | Where-Object { $_ -isnot [string] } | Select-Object -Last 1
        $last.State | Should -Be 'Stopped' -Because (Console $job)
        $job.Warning | Where-Object { "$_" -like '*ran longer than*' } | Should -BeNullOrEmpty -Because 'the test stopped it, not the timeout'
        Test-PortListening $port | Should -BeFalse
        (Console $job) | Should -Not -Match 'Going down|Failed to load object|failed looking up symbol|Aborted'
    }
}
