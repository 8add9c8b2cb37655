# Instances on a real libvirtd (qemu:///system) booting the real OSv kernel (OSVPS_TEST_OSV, else /var/lib/osvps/test-osv), from the
# kernel and from disk. The daemons are started when installed and not running; without them, or
# without a real OSv, each test says why it skipped. virsh is the independent witness here: what the
# cmdlets did through libvirt's C API must show in it.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $lv = Initialize-TestLibvirt
    $osv, $uri, $run, $pool, $why, $virsh = $lv.Osv, $lv.Uri, $lv.Run, $lv.Pool, $lv.Why, $lv.Virsh
    function Skip-Without { if ($why) { Set-ItResult -Skipped -Because $why; return $true } $false }
    function Virsh { & timeout -k 5 60 $virsh -c $uri @args 2>&1 }
    function ContentVolumes { @(Virsh vol-list $pool | Where-Object { "$_" -match 'osvps-[0-9a-f]{32}\.' }) }
    if (-not $why) {
        New-RealOsvRepository (Join-Path $TestDrive 'capstan') $osv | Out-Null
        $project = Join-Path $TestDrive 'lv'
        New-OsvProject $project -BootCommand '/probe args from-libvirt' | Out-Null
        Set-Content -LiteralPath (Join-Path $project 'meta/run.yaml') -Value @"
runtime: native
config_set:
  default:
    bootcmd: /probe args from-libvirt
  say_hey:
    bootcmd: /probe args Hey hey
    env: { PORT: "8000" }
  serve:
    bootcmd: /probe serve 8080
  missing:
    bootcmd: /echo.so
config_set_default: default
"@
        Add-OsvBinary (New-OsvProbe (Join-Path $TestDrive 'probe')) -Project $project -WarningAction SilentlyContinue | Out-Null
        $image = Build-OsvImage $project -WarningAction SilentlyContinue -SkipProgramCheck
        $ssh = Start-TestSsh (Join-Path $TestDrive 'ssh')
    }
}

AfterAll {
    try {
        if (-not $why) { Clear-TestLibvirt $uri | Out-Null }
    }
    finally {
        if ($ssh) { Stop-TestSsh $ssh.PidFile }
        Remove-Item Env:OSVPS_LIBVIRT_TIMEOUT -ErrorAction Ignore
        # The daemons this file started go with it; ones that were running before stay.
        Stop-TestLibvirt
        $env:CAPSTAN_ROOT = $savedRoot
    }
}

Describe 'Instances on libvirt (qemu:///system)' {
    It 'runs a config set on the real kernel <Mode>, streaming its console with -Wait' -ForEach @(
        @{ Mode = 'Kernel' }
        @{ Mode = 'Disk' }
    ) {
        if (Skip-Without) { return }
        $name = "lv-${run}-wait-$Mode".ToLowerInvariant()
        # -Env values stay off a kernel boot's -append (see the test below): the disk boot takes them.
        $envs = if ($Mode -eq 'Disk') { @{ Env = @{ EXTRA = 'a;b' } } } else { @{} }
        $output = $image | Start-OsvInstance -Connection $uri -StoragePool $pool -Name $name -BootMode $Mode -Boot say_hey @envs -Wait -Timeout 120
        $lines = Get-ConsoleLines $output
        $lines | Should -Contain 'arg[0]=<Hey>'
        $lines | Should -Contain 'arg[1]=<hey>'
        $lines | Should -Contain 'env[PORT]=<8000>'
        if ($Mode -eq 'Disk') { $lines | Should -Contain 'env[EXTRA]=<a;b>' }
        $instance = Get-FinalInstance $output
        $instance.State | Should -Be 'Stopped'
        $instance.Engine | Should -Be 'Libvirt'
        $instance.Connection | Should -Be $uri
        $instance.BootMode | Should -Be $Mode
        (Virsh dumpxml "osvps-$name") -join "`n" | Should -Match $(if ($Mode -eq 'Kernel') { '<kernel>' } else { "<boot dev='hd'/>" })
        Get-OsvInstanceLog $name -Connection $uri | Should -Contain 'arg[0]=<Hey>'
        Remove-OsvInstance $name -Connection $uri
        (Virsh list --all --name) | Should -Not -Contain "osvps-$name"
    }

    It 'lists a background instance Running, as virsh does; stops it, then removes it with its volumes; the image is uploaded once' {
        if (Skip-Without) { return }
        $volumes = (ContentVolumes).Count
        $volumes | Should -Be 2 -Because 'the image and the kernel are one volume each, whatever the earlier starts'
        $started = Start-OsvInstance $image -Connection $uri -StoragePool $pool -Name lv-${run}-bg -Boot serve
        $started.State | Should -Be 'Running'
        (ContentVolumes).Count | Should -Be $volumes -Because 'a second start uploads nothing'
        $listed = Get-OsvInstance -Connection $uri
        $listed.Name | Should -Contain "lv-${run}-bg"
        ($listed | Where-Object Name -eq "lv-${run}-bg").State | Should -Be 'Running'
        (Virsh list --name) | Should -Contain "osvps-lv-${run}-bg"
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (-not ((Get-OsvInstanceLog lv-${run}-bg -Connection $uri) -match 'serving on 8080') -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
        Get-OsvInstanceLog lv-${run}-bg -Connection $uri | Should -Contain 'serving on 8080'
        $stopped = Get-OsvInstance -Connection $uri lv-${run}-bg | Stop-OsvInstance -Timeout 5 -PassThru
        $stopped.State | Should -Be 'Stopped'
        (Virsh domstate osvps-lv-${run}-bg) | Should -Contain 'shut off'
        Get-OsvInstance -Connection $uri lv-${run}-bg | Remove-OsvInstance
        (Virsh list --all --name) | Should -Not -Contain "osvps-lv-${run}-bg"
        (Virsh vol-list $pool) -join "`n" | Should -Not -Match "osvps-lv-${run}-bg" -Because 'the overlay and console volumes go with the domain'
        Get-OsvInstance -Connection $uri lv-${run}-bg -ErrorVariable missing -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'InstanceNotFound,*'
    }

    It 'stops the domain when the pipeline that waits on it stops' {
        if (Skip-Without) { return }
        $first = Start-OsvInstance $image -Connection $uri -StoragePool $pool -Name lv-${run}-first -Boot serve -Wait -Timeout 120 | Select-Object -First 1
        $first | Should -BeLike 'OSv v*'
        (Virsh domstate osvps-lv-${run}-first) | Should -Contain 'shut off'
        (Get-OsvInstance lv-${run}-first -Connection $uri).State | Should -Be 'Stopped'
        Remove-OsvInstance lv-${run}-first -Connection $uri
    }

    It 'stops a guest that runs past -Timeout, with a warning' {
        if (Skip-Without) { return }
        $output = Start-OsvInstance $image -Connection $uri -StoragePool $pool -Name lv-${run}-timeout -Boot serve -Wait -Timeout 4 -WarningVariable warned -WarningAction SilentlyContinue
        Get-ConsoleLines $output | Should -Contain 'serving on 8080'
        ($warned -join "`n") | Should -Match "ran longer than"
        (Get-FinalInstance $output).State | Should -Be 'Stopped'
        (Virsh domstate osvps-lv-${run}-timeout) | Should -Contain 'shut off'
        Remove-OsvInstance lv-${run}-timeout -Connection $uri
    }

    It 'uploads again what an interrupted upload left cut' {
        if (Skip-Without) { return }
        $format = if ((Get-Content -LiteralPath $image.Path -AsByteStream -TotalCount 4) -join ',' -eq '81,70,73,251') { 'qcow2' } else { 'img' }
        $volume = 'osvps-' + (Get-FileHash $image.Path -Algorithm SHA256).Hash.ToLowerInvariant().Substring(0, 32) + ".$format"
        (Virsh vol-list $pool) -join "`n" | Should -Match ([regex]::Escape($volume))
        Virsh vol-delete --pool $pool $volume | Out-Null
        Virsh vol-create-as $pool $volume 4096 --format raw | Out-Null
        Virsh vol-create-as $pool "$volume.partial" 1 --format raw | Out-Null
        $output = Start-OsvInstance $image -Connection $uri -StoragePool $pool -Name lv-${run}-resume -BootMode Disk -Boot say_hey -Wait -Timeout 120
        Get-ConsoleLines $output | Should -Contain 'arg[0]=<Hey>'
        (Virsh vol-list $pool) -join "`n" | Should -Not -Match 'partial'
        $path = @(Virsh vol-path --pool $pool $volume)[0]
        (Get-Item -LiteralPath $path).Length | Should -Be (Get-Item -LiteralPath $image.Path).Length
        Remove-OsvInstance lv-${run}-resume -Connection $uri
    }

    It 'reports a program that fails inside the guest as a failure outside it' {
        if (Skip-Without) { return }
        $output = Start-OsvInstance $image -Connection $uri -StoragePool $pool -Name lv-${run}-missing -Boot missing -Wait -Timeout 120 -ErrorVariable failure -ErrorAction SilentlyContinue
        $instance = Get-FinalInstance $output
        $instance.State | Should -Be 'Failed'
        $instance.FailureId | Should -Be 'GuestProgramNotFound'
        $failure.Count | Should -Be 1
        $failure[0].FullyQualifiedErrorId | Should -BeLike 'GuestProgramNotFound,*'
        (Get-OsvInstance lv-${run}-missing -Connection $uri).State | Should -Be 'Failed'
        Remove-OsvInstance lv-${run}-missing -Connection $uri

        # The same in the background: Wait-OsvInstance reports it.
        $started = Start-OsvInstance $image -Connection $uri -StoragePool $pool -Name lv-${run}-missing-bg -Boot missing -WhatIf
        $started | Should -BeNullOrEmpty
        (Virsh list --all --name) | Should -Not -Contain "osvps-lv-${run}-missing-bg" -Because '-WhatIf defines nothing'
        Start-OsvInstance $image -Connection $uri -StoragePool $pool -Name lv-${run}-missing-bg -Boot missing | Out-Null
        $ended = Get-OsvInstance lv-${run}-missing-bg -Connection $uri | Wait-OsvInstance -Timeout 60 -ErrorVariable waited -ErrorAction SilentlyContinue
        $ended.State | Should -Be 'Failed'
        $ended.Reason | Should -Be 'Failed to load object: /echo.so. Powering off.'
        $waited[0].FullyQualifiedErrorId | Should -BeLike 'GuestProgramNotFound,*'
        Remove-OsvInstance lv-${run}-missing-bg -Connection $uri
    }

    It 'keeps -Env values off every command line: a kernel boot with -Env is refused, and with no -BootMode the disk boot takes them' {
        if (Skip-Without) { return }
        $before = @(Virsh list --all --name)
        Start-OsvInstance $image -Connection $uri -StoragePool $pool -Name lv-${run}-envk -BootMode Kernel -Boot say_hey -Env @{ TOKEN = 's3cret-k' } -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'EnvNeedsDiskBoot,*'
        $err[0].Exception.Message | Should -Match '-BootMode Disk'
        @(Virsh list --all --name) | Should -Be $before -Because 'a refused start defines nothing'
        $started = Start-OsvInstance $image -Connection $uri -StoragePool $pool -Name lv-${run}-enva -Boot serve -Env @{ TOKEN = 's3cret-a' }
        try {
            $started.BootMode | Should -Be 'Disk'
            (Virsh dumpxml "osvps-lv-${run}-enva") -join "`n" | Should -Not -Match 's3cret-a'
            $qemu = @(Get-Process qemu-system-x86_64 -ErrorAction Ignore | Where-Object { $_.CommandLine -match "osvps-lv-${run}-enva" })
            $qemu.Count | Should -Be 1 -Because 'libvirt runs one QEMU for the domain'
            $qemu[0].CommandLine | Should -Not -Match 's3cret-a'
        }
        finally { Remove-OsvInstance lv-${run}-enva -Connection $uri -Force }
    }

    It 'says plainly what a libvirt connection cannot do, and what is wrong with a connection: <Case>' -ForEach @(
        @{ Case = '-Volume'; Arguments = @{ Connection = 'qemu:///system'; Volume = '/etc/hostname' }; Id = 'LibvirtNotSupported' }
        @{ Case = '-QemuPath'; Arguments = @{ Connection = 'qemu:///system'; QemuPath = '/usr/bin/qemu-system-x86_64' }; Id = 'LibvirtNotSupported' }
        @{ Case = 'a URI that is none'; Arguments = @{ Connection = 'not a uri' }; Id = 'ConnectionInvalid' }
        @{ Case = 'a URI libvirt refuses'; Arguments = @{ Connection = 'qemu:///no-such-path' }; Id = 'LibvirtConnectFailed' }
        @{ Case = 'a pool name that is a path'; Arguments = @{ Connection = 'qemu:///system'; StoragePool = '../etc' }; Id = 'StoragePoolInvalid' }
    ) {
        if (Skip-Without) { return }
        $before = @(Virsh list --all --name)
        # -QemuPath is wrong for the whole call (terminating); the rest for this image only.
        $caught = $null
        try { Start-OsvInstance $image -Name lv-${run}-refused @Arguments -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null } catch { $caught = $_ }
        if ($caught) { $err = @($caught) }
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        @(Virsh list --all --name) | Should -Be $before -Because 'a refused start defines nothing'
    }

    It 'refuses -Forward on a libvirt older than 9.2, saying which it is' {
        if (Skip-Without) { return }
        $daemon = (& $virsh -c $uri version 2>$null | Where-Object { "$_" -match 'Using API: QEMU (\d+)\.(\d+)\.(\d+)' } | ForEach-Object { [version]"$($Matches[1]).$($Matches[2]).$($Matches[3])" }) | Select-Object -First 1
        if ($daemon -ge [version]'9.2.0') { Set-ItResult -Skipped -Because "libvirt here is $daemon, which has port forwards (passt); a run with them needs passt installed and is not part of these tests"; return }
        $before = @(Virsh list --all --name)
        Start-OsvInstance $image -Connection $uri -StoragePool $pool -Name lv-${run}-fwd -Forward '8080:8080' -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'LibvirtNotSupported,*'
        $err[0].Exception.Message | Should -Match "needs libvirt 9\.2 or later .* runs libvirt $([regex]::Escape("$daemon"))"
        @(Virsh list --all --name) | Should -Be $before
    }

    It 'does the same over SSH, as with a remote host: upload into a new pool, console read back, stop and remove' {
        if (Skip-Without) { return }
        if (-not $ssh.Uri) { Set-ItResult -Skipped -Because $ssh.Reason; return }
        $remote = $ssh.Uri
        $output = Start-OsvInstance $image -Connection $remote -StoragePool "$pool-ssh" -Name lv-${run}-ssh -BootMode Disk -Boot say_hey -Wait -Timeout 120
        Get-ConsoleLines $output | Should -Contain 'arg[0]=<Hey>'
        (Get-FinalInstance $output).Connection | Should -Be $remote
        @(Virsh vol-list "$pool-ssh" | Where-Object { "$_" -match 'osvps-[0-9a-f]{32}\.' }).Count | Should -Be 1 -Because 'a disk boot needs the image only, uploaded through a libvirt stream over SSH'
        Start-OsvInstance $image -Connection $remote -StoragePool "$pool-ssh" -Name lv-${run}-ssh-bg -Boot serve | Out-Null
        @(Virsh vol-list "$pool-ssh" | Where-Object { "$_" -match 'osvps-[0-9a-f]{32}\.' }).Count | Should -Be 2 -Because 'the kernel boot added the kernel'
        (Get-OsvInstance -Connection $remote | Where-Object Name -eq "lv-${run}-ssh-bg").State | Should -Be 'Running'
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (-not ((Get-OsvInstanceLog lv-${run}-ssh-bg -Connection $remote) -contains 'serving on 8080') -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
        Get-OsvInstanceLog lv-${run}-ssh-bg -Connection $remote | Should -Contain 'serving on 8080'
        (Get-OsvInstance lv-${run}-ssh-bg -Connection $remote | Stop-OsvInstance -Timeout 5 -PassThru).State | Should -Be 'Stopped'
        Get-OsvInstance -Connection $remote | Where-Object Name -like "lv-${run}-ssh*" | Remove-OsvInstance
        (Virsh list --all --name) | Should -Not -Contain "osvps-lv-${run}-ssh"
        (Virsh list --all --name) | Should -Not -Contain "osvps-lv-${run}-ssh-bg"
    }

    It 'gives LibvirtTimeout, naming the call and the seconds, while libvirtd is stopped; answers again once it runs' {
        if (Skip-Without) { return }
        $daemons = @(Get-Process libvirtd, virtqemud -ErrorAction Ignore)
        $daemons | Should -Not -BeNullOrEmpty -Because 'a daemon answers on qemu:///system'
        $env:OSVPS_LIBVIRT_TIMEOUT = '5'
        $errors = @()
        $watch = [Diagnostics.Stopwatch]::StartNew()
        & kill -STOP $daemons.Id
        try {
            try { Get-OsvInstance -Connection $uri -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null; $errors = @($err) }
            catch { $errors = @($_) }
        }
        finally {
            & kill -CONT $daemons.Id
            $env:OSVPS_LIBVIRT_TIMEOUT = '60'
        }
        $watch.Stop()
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'LibvirtTimeout,*'
        $errors[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        $errors[0].Exception.Message | Should -Match 'did not answer within 5 s when asked to connect'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 30
        # Running again, the daemon answers the next call as ever.
        { Get-OsvInstance -Connection $uri -ErrorAction Stop | Out-Null } | Should -Not -Throw
    }

    It 'takes instances of both engines from one pipeline: each goes to its own' {
        if (Skip-Without) { return }
        $here = [pscustomobject]@{ Name = "lv-${run}-nowhere"; Connection = $null }
        $there = [pscustomobject]@{ Name = "lv-${run}-nowhere"; Connection = $uri }
        $here, $there | Get-OsvInstance -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err.Count | Should -Be 2
        $err[0].Exception.Message | Should -Be "there is no instance 'lv-${run}-nowhere'."
        $err[1].Exception.Message | Should -Be "there is no instance 'lv-${run}-nowhere' on $uri."
    }
}

# How a program's end reaches the host from a libvirt guest. libvirt discards a powered-off guest's memory at once (its QEMU
# driver refuses on_poweroff 'preserve'), so the guest runs with --noshutdown: once its programs return, OSv logs
# "main() returned." to its kernel log and stays up; OsvPS reads the log from guest memory (virDomainMemoryPeek), which the
# program cannot write, then destroys the domain. What a program prints is shown as written and believed in nothing.
Describe 'A program''s end on libvirt, read from OSv''s kernel log in the running guest' {
    BeforeAll {
        if (-not $why) {
            $statusProject = Join-Path $TestDrive 'lv-status'
            New-OsvProject $statusProject -BootCommand '/status 0' | Out-Null
            Add-OsvBinary (New-OsvStatusProbe (Join-Path $TestDrive 'status')) -Project $statusProject | Out-Null
            $statusImage = Build-OsvImage $statusProject
        }
    }

    It 'a program that prints OSv''s own lines and returns 0 ends Stopped with 0, every line shown as written (<Mode>)' -ForEach @(
        @{ Mode = 'Kernel' }
        @{ Mode = 'Disk' }
    ) {
        if (Skip-Without) { return }
        $name = "lv-${run}-forge-$Mode".ToLowerInvariant()
        $output = Start-OsvInstance $statusImage -Connection $uri -StoragePool $pool -Name $name -BootMode $Mode -CommandLine '/status forge' -Wait -Timeout 120 -ErrorVariable err -ErrorAction SilentlyContinue
        $lines = Get-ConsoleLines $output
        foreach ($forged in 'program /g returned 7', 'program exited with status 9', '/x.so: failed looking up symbol foo', 'Aborted',
            'Setting in environment: A=1', 'ROFS: read 1 block', 'Powering off.', 'still here') {
            $lines | Should -Contain $forged
        }
        $instance = Get-FinalInstance $output
        ($instance.State, $instance.ExitCode, $instance.FailureId) | Should -Be @('Stopped', 0, $null)
        $err | Should -BeNullOrEmpty
        $instance.GuestCommandLine | Should -Match '--noshutdown' -Because 'the guest stays up for its log to be read'
        $instance.GuestCommandLine | Should -Not -Match '--verbose'
        (Virsh domstate "osvps-$name") | Should -Contain 'shut off' -Because 'OsvPS destroyed the domain once it had read the log'
        Remove-OsvInstance $name -Connection $uri
    }

    # Both boot modes read the log the same way (the forge test above runs both): one here.
    It 'a program returning 3 ends Failed with ExitCode 3, waited on (<Mode>)' -ForEach @(
        @{ Mode = 'Kernel' }
    ) {
        if (Skip-Without) { return }
        $name = "lv-${run}-ret3-$Mode".ToLowerInvariant()
        $output = Start-OsvInstance $statusImage -Connection $uri -StoragePool $pool -Name $name -BootMode $Mode -CommandLine '/status cr 3' -Wait -Timeout 120 -ErrorVariable err -ErrorAction SilentlyContinue
        Get-ConsoleLines $output | Should -Contain "progress 50%`rprogress 100%" -Because 'an unfinished last line is shown as written'
        $instance = Get-FinalInstance $output
        ($instance.State, $instance.ExitCode, $instance.FailureId) | Should -Be @('Failed', 3, 'GuestProgramFailed')
        $instance.Reason | Should -Be 'program /status returned 3'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'GuestProgramFailed,*'
        Remove-OsvInstance $name -Connection $uri
    }

    It 'a background instance gets its status from Get-OsvInstance alone, and its domain ends' {
        if (Skip-Without) { return }
        $name = "lv-${run}-bg3"
        # The program is quick: the start may already see it ended, since reading an instance settles it.
        (Start-OsvInstance $statusImage -Connection $uri -StoragePool $pool -Name $name -CommandLine '/status 5').State | Should -BeIn @('Running', 'Failed')
        $deadline = [DateTime]::UtcNow.AddSeconds(90)
        while ((Get-OsvInstance $name -Connection $uri).State -eq 'Running' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 500 }
        $ended = Get-OsvInstance $name -Connection $uri
        ($ended.State, $ended.ExitCode, $ended.FailureId) | Should -Be @('Failed', 5, 'GuestProgramFailed')
        (Virsh domstate "osvps-$name") | Should -Contain 'shut off'
        Get-OsvInstanceLog $name -Connection $uri | Should -Contain 'status: returning 5'
        Remove-OsvInstance $name -Connection $uri
    }

    It 'a program that calls exit() ends Stopped with no ExitCode and a warning saying the status is not known' {
        if (Skip-Without) { return }
        $name = "lv-${run}-exit4"
        $output = Start-OsvInstance $statusImage -Connection $uri -StoragePool $pool -Name $name -BootMode Disk -CommandLine '/status exit 4' -Wait -Timeout 120 -ErrorVariable err -ErrorAction SilentlyContinue -WarningVariable warned -WarningAction SilentlyContinue
        Get-ConsoleLines $output | Should -Contain 'status: calling exit(4)'
        $instance = Get-FinalInstance $output
        ($instance.State, $instance.ExitCode) | Should -Be @('Stopped', $null)
        $instance.Reason | Should -Match 'exit status is not known'
        ($warned -join "`n") | Should -Match 'exit\(\).*not known'
        $err | Should -BeNullOrEmpty
        Remove-OsvInstance $name -Connection $uri
    }

    It 'a program that aborts ends Failed (GuestAborted): OSv powers off by itself, as its own console line says' {
        if (Skip-Without) { return }
        $name = "lv-${run}-abort"
        $output = Start-OsvInstance $statusImage -Connection $uri -StoragePool $pool -Name $name -CommandLine '/status abort' -Wait -Timeout 120 -ErrorVariable err -ErrorAction SilentlyContinue
        $instance = Get-FinalInstance $output
        ($instance.State, $instance.FailureId) | Should -Be @('Failed', 'GuestAborted')
        $err[0].FullyQualifiedErrorId | Should -BeLike 'GuestAborted,*'
        Remove-OsvInstance $name -Connection $uri
    }

    It 'a guest whose kernel stopped without powering off is Failed (GuestKernelStopped) and its domain destroyed' {
        if (Skip-Without) { return }
        $name = "lv-${run}-dead"
        $output = Start-OsvInstance $statusImage -Connection $uri -StoragePool $pool -Name $name -CommandLine '/status dead spin' -Wait -Timeout 120 -ErrorVariable err -ErrorAction SilentlyContinue
        Get-ConsoleLines $output | Should -Contain 'status: stopping the kernel (spin)'
        $instance = Get-FinalInstance $output
        ($instance.State, $instance.FailureId) | Should -Be @('Failed', 'GuestKernelStopped')
        $err[0].FullyQualifiedErrorId | Should -BeLike 'GuestKernelStopped,*'
        (Virsh domstate "osvps-$name") | Should -Contain 'shut off'
        Remove-OsvInstance $name -Connection $uri
    }
}
