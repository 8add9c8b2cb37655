BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $demo = New-InstanceTestSetup $TestDrive
    $image = Build-OsvImage $demo
    $hangImage = Build-OsvImage $demo -Name demo-hang -LoaderImage hang-loader
    # Every -Wait below has a -Timeout: no test can hang on a guest.
    $limit = [TimeSpan]::FromSeconds(30)
}

AfterAll {
    Stop-TestInstances
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'Start-OsvInstance' {
    Context 'metadata' {
        It 'takes images from the pipeline, completes names and supports ShouldProcess' {
            $command = Get-Command Start-OsvInstance
            ($command.Parameters['Image'].Attributes | Where-Object { $_ -is [Parameter] }).ValueFromPipeline | Should -BeTrue
            $command.Parameters.Keys | Should -Contain 'WhatIf'
            (TabExpansion2 -inputScript 'Start-OsvInstance demo-h' -cursorColumn 24).CompletionMatches.CompletionText | Should -Contain 'demo-hang'
        }

        It 'completes -Boot with the config sets of the image' {
            $line = 'Start-OsvInstance demo -Boot '
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('default', 'say_hey')
            $line = 'Start-OsvInstance demo -Boot sa'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('say_hey')
        }
    }

    Context '-Timeout' {
        It 'reads <Given> as <Expected>' -ForEach @(
            @{ Given = 120; Expected = '00:02:00' }
            @{ Given = 0.5; Expected = '00:00:00.5000000' }
            @{ Given = '90'; Expected = '00:01:30' }
            @{ Given = '00:02:00'; Expected = '00:02:00' }
            @{ Given = [TimeSpan]::FromMinutes(3); Expected = '00:03:00' }
        ) {
            foreach ($command in 'Start-OsvInstance', 'Wait-OsvInstance', 'Stop-OsvInstance') {
                $attribute = (Get-Command $command).Parameters['Timeout'].Attributes | Where-Object { $_ -is [System.Management.Automation.ArgumentTransformationAttribute] }
                $attribute.Transform($ExecutionContext, $Given).ToString() | Should -Be $Expected
            }
        }

        It 'refuses a timeout that is neither seconds nor a time span' {
            { Start-OsvInstance demo -Wait -Timeout 'soon' } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,*'
            { Start-OsvInstance demo -Wait -Timeout -5 } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,*'
        }
    }

    Context 'with -Wait' {
        It 'runs the config set picked at run time and leaves the image untouched' {
            $hash = (Get-FileHash $image.Path).Hash
            $output = Build-OsvImage $demo | Start-OsvInstance -Boot say_hey -Wait -Timeout $limit
            $output | Where-Object { $_ -is [string] } | Should -Contain 'OSVPS-STANDIN cmdline: --power-off-on-abort --verbose runscript /run/say_hey;'
            $instance = $output | Where-Object { $_ -isnot [string] }
            $instance.State | Should -Be 'Stopped'
            $instance.ExitCode | Should -Be 0
            $instance.CommandLine | Should -Be 'runscript /run/say_hey;'
            (Get-FileHash $image.Path).Hash | Should -Be $hash
        }

        It 'keeps the image''s own command line without -Boot' {
            Start-OsvInstance demo -Wait -Timeout $limit | Should -Contain 'OSVPS-STANDIN cmdline: --power-off-on-abort --verbose runscript /run/default;'
        }

        It 'puts -Env in front of the image''s command line' {
            Start-OsvInstance demo -Env @{ B = 2; A = 1 } -Wait -Timeout $limit | Should -Contain 'OSVPS-STANDIN cmdline: --power-off-on-abort --verbose --env=A=1 --env=B=2 runscript /run/default;'
        }

        It 'runs -CommandLine as written' {
            Start-OsvInstance demo -CommandLine '/echo.so one; /echo.so two &' -Wait -Timeout $limit | Should -Contain 'OSVPS-STANDIN cmdline: --power-off-on-abort --verbose /echo.so one; /echo.so two &'
        }

        It 'writes the console to console.log too' {
            $instance = Start-OsvInstance demo -Name logged -Wait -Timeout $limit | Select-Object -Last 1
            Get-Content $instance.ConsolePath | Should -Contain 'OSVPS-STANDIN cmdline: --power-off-on-abort --verbose runscript /run/default;'
        }

        It 'stops a guest that runs past -Timeout (a plain number is seconds), and says so' {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $output = Start-OsvInstance demo-hang -Wait -Timeout 2 -WarningVariable warn -WarningAction SilentlyContinue
            $clock.Elapsed.TotalSeconds | Should -BeGreaterThan 1.9
            ($warn -join "`n") | Should -Match 'longer than 00:00:02'
            $instance = $output | Select-Object -Last 1
            $instance.State | Should -Be 'Stopped'
            Get-OsvInstance demo-hang | ForEach-Object State | Should -Be 'Stopped'
        }

        It 'leaves no QEMU behind when the PowerShell running -Wait is killed' {
            $process = [Environment]::ProcessPath
            $info = [Diagnostics.ProcessStartInfo]::new($process)
            if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { $info.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
            foreach ($a in '-NoProfile', '-NonInteractive', '-Command', "`$env:CAPSTAN_ROOT = '$env:CAPSTAN_ROOT'; Import-Module '$(Get-OsvTestModulePath)'; Start-OsvInstance demo-hang -Name orphan -Wait -Timeout 00:01:00") {
                $info.ArgumentList.Add($a)
            }
            $info.RedirectStandardOutput = $true
            $child = [Diagnostics.Process]::Start($info)
            try {
                $deadline = [DateTime]::UtcNow.AddSeconds(30)
                while (-not ((Get-OsvInstance orphan -ErrorAction Ignore).State -eq 'Running') -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
                $qemu = (Get-OsvInstance orphan).Pid
                $qemu | Should -Not -BeNullOrEmpty
            }
            finally { $child.Kill(); $child.WaitForExit(5000) | Out-Null }
            Test-ProcessGone $qemu | Should -BeTrue -Because 'QEMU gets a parent-death signal'
        }

        It 'stops the guest when the pipeline is stopped (as Ctrl+C does)' {
            $first = Start-OsvInstance demo-hang -Name stopped-early -Wait -Timeout $limit | Select-Object -First 1
            $first | Should -BeLike 'OSVPS-STANDIN*'
            $instance = Get-OsvInstance stopped-early
            $instance.State | Should -Be 'Stopped'
            Test-ProcessGone $instance.Pid | Should -BeTrue
        }
    }

    Context 'boot straight into the kernel' {
        BeforeAll {
            $kernel = New-StandInKernel (Join-Path $TestDrive 'kernel.elf')
            Import-OsvImage -Name osv-loader -Kernel $kernel | Out-Null
        }

        It 'boots the kernel with the command line (QEMU reads both from a config file), for images built from that loader' {
            $output = Start-OsvInstance demo -Name kernel-boot -Boot say_hey -Wait -Timeout $limit
            $output | Should -Contain 'OSVPS-STANDIN-KERNEL cmdline: --power-off-on-abort --verbose runscript /run/say_hey;'
            ($output | Select-Object -Last 1).BootMode | Should -Be 'Kernel'
        }

        It 'keeps the command line with -Env values out of QEMU''s arguments: QEMU reads it from an owner-only file' {
            $output = Start-OsvInstance demo -Name kernel-secret -Boot say_hey -Env @{ TOKEN = 's3cr3t value' } -Wait -Timeout $limit
            $output | Should -Contain 'OSVPS-STANDIN-KERNEL cmdline: --power-off-on-abort --verbose --env=TOKEN=s3cr3t\ value runscript /run/say_hey;' -Because 'the kernel still gets it'
            $instance = $output | Select-Object -Last 1
            $instance.BootMode | Should -Be 'Kernel'
            # QemuCommand is QEMU's own argument list, which every local user reads in /proc/<pid>/cmdline.
            ($instance.QemuCommand -join ' ') | Should -Not -Match 's3cr3t'
            $instance.QemuCommand | Should -Contain '-readconfig'
            $instance.QemuCommand | Should -Not -Contain '-append'
            (Get-Item -LiteralPath (Join-Path $env:CAPSTAN_ROOT 'instances/qemu/kernel-secret/kernel.cfg')).UnixMode | Should -Be '-rw-------'
        }

        It 'boots from disk when the command line with -Env values cannot be kept out of QEMU''s arguments, and refuses -BootMode Kernel then' {
            # QEMU's config file cannot hold a double quote: such a line would be -append, which every local user reads.
            $output = Start-OsvInstance demo -Name kernel-quoted -CommandLine '/echo.so "a b"' -Env @{ TOKEN = 'x-secret' } -Wait -Timeout $limit
            $output | Should -Contain 'OSVPS-STANDIN cmdline: --power-off-on-abort --verbose --env=TOKEN=x-secret /echo.so "a b"' -Because 'the overlay holds it'
            $instance = $output | Select-Object -Last 1
            $instance.BootMode | Should -Be 'Disk'
            ($instance.QemuCommand -join ' ') | Should -Not -Match 'x-secret'
            Start-OsvInstance demo -Name kernel-quoted-k -BootMode Kernel -CommandLine '/echo.so "a b"' -Env @{ TOKEN = 'x-secret' } -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'EnvNeedsDiskBoot,*'
            $err[0].Exception.Message | Should -Match 'use -BootMode Disk'
            Get-OsvInstance kernel-quoted-k -ErrorAction SilentlyContinue | Should -BeNullOrEmpty -Because 'a refused start leaves nothing'
        }

        It 'passes the image''s own command line to the kernel' {
            Start-OsvInstance demo -Name kernel-default -Wait -Timeout $limit | Should -Contain 'OSVPS-STANDIN-KERNEL cmdline: --power-off-on-abort --verbose runscript /run/default;'
        }

        It 'boots from disk with -BootMode Disk' {
            Start-OsvInstance demo -Name disk-boot -BootMode Disk -Wait -Timeout $limit | Should -Contain 'OSVPS-STANDIN cmdline: --power-off-on-abort --verbose runscript /run/default;'
        }

        It 'accepts a gzip-compressed kernel' {
            $gz = Join-Path $TestDrive 'kernel.elf.gz'
            & gzip -c $kernel > $gz
            Import-OsvImage -Name osv-loader -Kernel $gz | Out-Null
            (Get-FileHash (Join-Path $env:CAPSTAN_ROOT 'repository/osv-loader/osv-loader.elf')).Hash | Should -Be (Get-FileHash $kernel).Hash
        }

        It 'refuses a kernel that is not ELF' {
            $bad = Join-Path $TestDrive 'not-elf'
            Set-Content $bad 'text'
            Import-OsvImage -Name osv-loader -Kernel $bad -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'KernelInvalid,*'
        }

        AfterAll { Remove-Item (Join-Path $env:CAPSTAN_ROOT 'repository/osv-loader/osv-loader.elf') -ErrorAction Ignore }
    }

    Context 'Capstan''s habits' {
        It 'takes -Memory <Memory> as <MiB> MB, and -Network nat as user networking' -ForEach @(
            @{ Memory = 512; MiB = 512 }
            @{ Memory = '512M'; MiB = 512 }
            @{ Memory = '1G'; MiB = 1024 }
            @{ Memory = '2048mb'; MiB = 2048 }
            @{ Memory = 768MB; MiB = 768 }
        ) {
            $instance = Start-OsvInstance demo -Name "mem-$MiB" -Memory $Memory -Network nat -Wait -Timeout $limit | Select-Object -Last 1
            $at = [Array]::IndexOf($instance.QemuCommand, '-m')
            $instance.QemuCommand[$at + 1] | Should -Be "$($MiB)M"
            ($instance.QemuCommand -join ' ') | Should -Match 'user,id=un0'
        }

        It 'says what a memory size is when -Memory is not one' {
            { Start-OsvInstance demo -Name mem-bad -Memory 'lots' -ErrorAction Stop } | Should -Throw -ExpectedMessage "*is not a memory size*"
        }
    }

    Context 'in the background' {
        It 'returns a running instance at once; two of one image run side by side' {
            $a = Start-OsvInstance demo-hang -Name side-a
            $b = Start-OsvInstance demo-hang -Name side-b
            $a.State | Should -Be 'Running'
            $b.State | Should -Be 'Running'
            $a.Pid | Should -Not -Be $b.Pid
            (Get-OsvInstance side-*).State | Should -Be @('Running', 'Running')
            Stop-OsvInstance side-* -Force -Confirm:$false
            (Get-OsvInstance side-*).State | Should -Be @('Stopped', 'Stopped')
        }

        It 'names the instance that holds a forwarded port, or says another program does, and leaves no instance' {
            $port = Get-FreePort
            Start-OsvInstance demo-hang -Name port-holder -Forward "$($port):80" | Out-Null
            try {
                Start-OsvInstance demo-hang -Name port-second -Forward "$($port):8080" -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
                $err[0].FullyQualifiedErrorId | Should -BeLike 'ForwardInUse,*'
                $err[0].Exception.Message | Should -BeLike "*forwarded by the running instance 'port-holder'*"
                Get-OsvInstance port-second -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            }
            finally { Stop-OsvInstance port-holder -Force -Confirm:$false | Out-Null }
            $other = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
            $other.Start()
            try {
                $taken = $other.LocalEndpoint.Port
                Start-OsvInstance demo-hang -Name port-third -Forward "$($taken):80" -ErrorVariable err2 -ErrorAction SilentlyContinue | Out-Null
                $err2[0].FullyQualifiedErrorId | Should -BeLike 'ForwardInUse,*'
                $err2[0].Exception.Message | Should -BeLike "*in use by another program*"
                Get-OsvInstance port-third -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            }
            finally { $other.Stop() }
        }

        It 'refuses a second live instance of the same name' {
            Start-OsvInstance demo-hang -Name unique | Out-Null
            Start-OsvInstance demo-hang -Name unique -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'InstanceExists,*'
            Stop-OsvInstance unique -Force -Confirm:$false
        }

        It 'listens on a forwarded host port while the guest runs, and frees it after' {
            $port = Get-FreePort
            $instance = Start-OsvInstance demo-hang -Name forwarded -Forward "${port}:80"
            $instance.Forwards | Should -Be @("tcp:127.0.0.1:${port}:80")
            Test-PortListening $port | Should -BeTrue
            # Private unless asked: only the loopback address listens, no wildcard.
            $listeners = @(ss -Hltn "sport = :$port" | ForEach-Object { ($_ -split '\s+')[3] })
            $listeners | Should -Be @("127.0.0.1:$port")
            Stop-OsvInstance forwarded -Force -Confirm:$false
            Test-PortListening $port | Should -BeFalse
        }

        It 'binds a forward to the address the user writes' {
            $port = Get-FreePort
            $instance = Start-OsvInstance demo-hang -Name forwarded-at -Forward "tcp:127.0.0.2:${port}:80"
            $instance.Forwards | Should -Be @("tcp:127.0.0.2:${port}:80")
            @(ss -Hltn "sport = :$port" | ForEach-Object { ($_ -split '\s+')[3] }) | Should -Be @("127.0.0.2:$port")
            Stop-OsvInstance forwarded-at -Force -Confirm:$false
        }

        It 'shows Crashed, with the signal, when QEMU is killed by its process id; Wait-OsvInstance reports QemuCrashed' {
            $instance = Start-OsvInstance demo-hang -Name killed
            Stop-Process -Id $instance.Pid -Force
            $ended = Wait-OsvInstance killed -Timeout $limit -ErrorVariable err -ErrorAction SilentlyContinue
            $ended.State | Should -Be 'Crashed'
            $ended.Reason | Should -BeLike 'QEMU was killed by signal 9 (SIGKILL)*'
            $ended.Stopped | Should -Not -BeNullOrEmpty
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'QemuCrashed,*'
            $err[0].TargetObject.Name | Should -Be 'killed'
            $again = Get-OsvInstance killed
            ($again.State, $again.Reason) | Should -Be @('Crashed', $ended.Reason)
        }

        It 'reports QemuCrashed when QEMU is killed under -Wait' {
            $info = [Diagnostics.ProcessStartInfo]::new('bash')
            $info.ArgumentList.Add('-c')
            $info.ArgumentList.Add('for i in $(seq 200); do p=$(pgrep -f "qemu-system.*[i]nstances/qemu/killed-wait/") && { sleep 0.3; kill -9 $p; exit 0; }; sleep 0.05; done; exit 1')
            $killer = [Diagnostics.Process]::Start($info)
            $out = Start-OsvInstance demo-hang -Name killed-wait -Wait -Timeout $limit -ErrorVariable err -ErrorAction SilentlyContinue
            $killer.WaitForExit(10000) | Should -BeTrue
            $killer.ExitCode | Should -Be 0 -Because 'the killer found QEMU'
            $instance = $out | Where-Object { $_ -isnot [string] }
            $instance.State | Should -Be 'Crashed'
            $instance.Reason | Should -BeLike '*signal 9*'
            $err[0].FullyQualifiedErrorId | Should -BeLike 'QemuCrashed,*'
        }

        It 'is Failed with QEMU''s own message when QEMU cannot start (a forward from an address this machine lacks)' {
            # 192.0.2.1 (TEST-NET-1) is on no interface here: QEMU cannot bind the forward, and says so.
            $port = Get-FreePort
            Start-OsvInstance demo-hang -Name port-taken -Forward "192.0.2.1:$($port):80" -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
            $err[0].FullyQualifiedErrorId | Should -BeLike 'QemuFailed,*'
            $instance = Get-OsvInstance port-taken
            $instance.State | Should -Be 'Failed'
            $instance.FailureId | Should -Be 'QemuFailed'
            $instance.Reason | Should -BeLike "*$port*"
        }

        It 'shows Stopped when the guest powers itself off' {
            $instance = Start-OsvInstance demo -Name self-off
            (Wait-OsvInstance self-off -Timeout $limit).State | Should -Be 'Stopped'
        }
    }

    Context 'errors' {
        It 'reports <Id> for <Case>' -ForEach @(
            @{ Case = 'an unknown config set'; Id = 'ConfigSetNotFound'; Arguments = @{ Image = 'demo'; Boot = 'nope' } }
            @{ Case = 'an unknown image'; Id = 'ImageNotFound'; Arguments = @{ Image = 'no-such-image' } }
            @{ Case = 'a bad port forward'; Id = 'ForwardInvalid'; Arguments = @{ Image = 'demo'; Forward = '80' } }
            @{ Case = 'a missing kernel with -BootMode Kernel'; Id = 'KernelNotFound'; Arguments = @{ Image = 'demo'; BootMode = 'Kernel' } }
            @{ Case = 'a bad instance name'; Id = 'InstanceNameInvalid'; Arguments = @{ Image = 'demo'; Name = 'a b' } }
        ) {
            Start-OsvInstance @Arguments -Wait -Timeout $limit -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
            $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        }

        It 'stops the whole call when QEMU is not there, naming where it looked' {
            { 'demo', 'demo-hang' | Start-OsvInstance -QemuPath /nonexistent/qemu -ErrorAction Stop } |
                Should -Throw -ErrorId 'QemuNotFound,OsvPS.Commands.StartOsvInstanceCommand' -ExpectedMessage '*searched: /nonexistent/qemu*'
        }

        It 'stops the whole call on an engine option QEMU on this machine does not use' {
            { 'demo', 'demo-hang' | Start-OsvInstance -StoragePool mine -ErrorAction Stop } |
                Should -Throw -ErrorId 'EngineOptionNotSupported,OsvPS.Commands.StartOsvInstanceCommand' -ExpectedMessage '-StoragePool is not available for instances on this machine*'
        }

        It 'says what QEMU printed when it fails to start' {
            $notQcow = Join-Path $TestDrive 'not-a-qcow2.img'
            Set-Content $notQcow 'plain text'
            Start-OsvInstance demo -Name bad-volume -Volume "${notQcow}:format=qcow2" -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'QemuFailed,*'
            $err[0].Exception.Message | Should -Match 'qcow2'
        }

        It 'refuses values that would smuggle options into QEMU: <Case>' -ForEach @(
            @{ Case = 'a bridge helper'; Arguments = @{ Network = 'Bridge'; Bridge = 'br0,helper=/tmp/x' }; Id = 'InstanceSettingInvalid' }
            @{ Case = 'a tap device with options'; Arguments = @{ Network = 'Tap'; TapDevice = 'tap0,script=/tmp/x' }; Id = 'InstanceSettingInvalid' }
            @{ Case = 'a volume format with options'; Arguments = @{ Volume = '/tmp/x.img:format=raw,file.driver=ssh' }; Id = 'VolumeInvalid' }
        ) {
            Start-OsvInstance demo -Name smuggled @Arguments -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
            $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
            Get-OsvInstance smuggled -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }

        It 'starts one QEMU when two starts of one name race' {
            $jobs = 1..2 | ForEach-Object {
                Start-ThreadJob { param($module, $root) $env:CAPSTAN_ROOT = $root; Import-Module $module; Start-OsvInstance demo-hang -Name racer -ErrorAction Stop } -ArgumentList (Get-OsvTestModulePath), $env:CAPSTAN_ROOT
            }
            $jobs | Wait-Job -Timeout 60 | Out-Null
            $results = $jobs | ForEach-Object { Receive-Job $_ -ErrorAction SilentlyContinue -ErrorVariable +failed }
            @($results | Where-Object { $_ -isnot [string] }).Count | Should -Be 1
            $failed.Count | Should -Be 1
            "$($failed[0])" | Should -Match "instance 'racer' is (running|being started)"
            $qemus = Get-Process qemu-system-x86_64 -ErrorAction Ignore | Where-Object { $_.CommandLine -match 'instances/qemu/racer/' }
            @($qemus).Count | Should -Be 1
            Stop-OsvInstance racer -Force | Out-Null
        }
    }

    Context '-WaitReady (on the stand-in guest; the real kernel: Readiness.RealOsv.Tests.ps1)' {
        It 'refuses a bad probe while binding, before anything starts: <Probe>' -ForEach @(
            @{ Probe = 'tcp:abc'; Why = 'the port of tcp:PORT must be a number from 1 to 65535' }
            @{ Probe = 'http://127.0.0.1/'; Why = 'write the port' }
            @{ Probe = 'file:///etc/passwd'; Why = 'a file:// address is not a probe' }
            @{ Probe = 'console:(unclosed'; Why = 'its regular expression is not valid' }
        ) {
            $e = { Start-OsvInstance demo-hang -Name badprobe -WaitReady $Probe -Timeout 5 } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentTransformationError,*'
            $e.Exception.Message | Should -BeLike "*'$Probe' is not a readiness probe: $Why*"
            $e.Exception.InnerException.InnerException.ErrorId | Should -Be 'ReadinessProbeInvalid'
            Get-OsvInstance badprobe -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }

        It 'refuses a probe the instance gives no way in, before QEMU starts' {
            $port = Get-FreePort
            Start-OsvInstance demo-hang -Name noway -Forward "${port}:8000" -WaitReady tcp:80 -Timeout 5 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ReadinessProbeUnreachable,*'
            $err[0].Exception.Message | Should -BeLike "*instance 'noway' forwards no tcp port to guest port 80 (its forwards: tcp:127.0.0.1:${port}:8000); start it with -Forward HOSTPORT:80*"
            Get-OsvInstance noway -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            Test-PortListening $port | Should -BeFalse
        }

        It 'refuses -Wait with -WaitReady' {
            { Start-OsvInstance demo-hang -Name both -Wait -WaitReady tcp:80 -Timeout 5 } | Should -Throw -ExpectedMessage '*-Wait follows the guest to its end and -WaitReady returns it once it answers*'
            Get-OsvInstance both -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }

        It 'returns the running instance once its console matches' {
            $instance = Start-OsvInstance demo-hang -Name readyline -WaitReady 'console:^OSVPS-STANDIN cmdline: ' -Timeout $limit
            ($instance.Name, $instance.State) | Should -Be @('readyline', 'Running')
            Stop-OsvInstance readyline -Force -Confirm:$false | Out-Null
        }

        It 'ends the wait on Ctrl+C (the pipeline stopped) and leaves the instance running' {
            $ps = [powershell]::Create()
            $null = $ps.AddScript("Import-Module '$(Get-OsvTestModulePath)'; Start-OsvInstance demo-hang -Name cancelled -WaitReady 'console:never printed' -Timeout 600")
            $null = $ps.BeginInvoke()
            try {
                $deadline = [DateTime]::UtcNow.AddSeconds(60)
                # The wait has begun once its progress shows (the instance shows Running a moment before Start-OsvInstance
                # has finished starting it: a stop then ends the start, and the half-started QEMU with it).
                while (-not @($ps.Streams.Progress | Where-Object Activity -Match 'readiness').Count -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
                @($ps.Streams.Progress | Where-Object Activity -Match 'readiness').Count | Should -BeGreaterThan 0 -Because 'the readiness wait shows its progress'
                (Get-OsvInstance cancelled).State | Should -Be 'Running'
                $stopping = $ps.BeginStop($null, $null)
                $stopping.AsyncWaitHandle.WaitOne(30000) | Should -BeTrue -Because 'a stopped pipeline ends the readiness wait'
                $ps.InvocationStateInfo.State | Should -Be 'Stopped'
                # Seen Failed once in three CI runs (12-06), when the stop came while the start was still under way.
                $after = Get-OsvInstance cancelled
                $after.State | Should -Be 'Running' -Because "it ended as $($after.FailureId): $($after.Reason); console: $((Get-OsvInstanceLog cancelled) -join ' | ')"
            }
            finally {
                $ps.Dispose()
                Stop-OsvInstance cancelled -Force -Confirm:$false -ErrorAction SilentlyContinue | Out-Null
            }
        }

        It 'fails at once with NotReady when the guest ends before it is ready' {
            Start-OsvInstance demo -Name endsfirst -WaitReady 'console:never printed' -Timeout 600 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'NotReady,*'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidResult'
            $err[0].Exception.Message | Should -BeLike "instance 'endsfirst' ended before it was ready (console:never printed; last check: no such line yet): Stopped.*OSVPS-STANDIN cmdline: *"
        }
    }
}
