# How a guest program's end reaches the host, on the real OSv kernel (OSVPS_TEST_OSV, else /var/lib/osvps/test-osv),
# from disk and straight into the kernel: the status main returned or exit() was given becomes the
# instance's ExitCode, a non-zero one is a failure (GuestProgramFailed). OsvPS reads them from OSv's
# kernel log in the guest's memory after the guest powered off, not from the console: what a program
# prints (OSv's own words included) cannot change them, and reaches the user as written. Without a
# real OSv each test says it skipped and why.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $osv = Find-RealOsv
    $limit = 60

    if ($osv.Loader) {
        New-RealOsvRepository (Join-Path $TestDrive 'capstan') $osv | Out-Null
        $program = New-OsvStatusProbe (Join-Path $TestDrive 'status')
        $project = Join-Path $TestDrive 'statuses'
        New-OsvProject $project -BootCommand '/status 0' | Out-Null
        Add-OsvBinary $program -Project $project | Out-Null
        $image = Build-OsvImage $project
    }

    # Runs the status probe's 'dead' mode with -Wait: the instance ends Failed (GuestKernelStopped) well before -Timeout, its QEMU gone.
    function Assert-KernelStopped([string] $Name, [string] $Mode, [string] $How, [string] $Seen) {
        $output = Start-OsvInstance $image -Name $Name -BootMode $Mode -CommandLine "/status dead $How" -Wait -Timeout $limit -ErrorVariable err -ErrorAction SilentlyContinue -WarningVariable warned -WarningAction SilentlyContinue
        Get-ConsoleLines $output | Should -Contain "status: stopping the kernel ($How)"
        ($warned -join "`n") | Should -Not -Match 'ran longer than' -Because 'the stop is seen well before the timeout'
        $instance = Get-FinalInstance $output
        ($instance.State, $instance.FailureId) | Should -Be @('Failed', 'GuestKernelStopped')
        $instance.Reason | Should -Match ('kept its interrupts off for 3 s \(' + $Seen + '\)')
        $err[0].FullyQualifiedErrorId | Should -BeLike 'GuestKernelStopped,*'
        Test-ProcessGone $instance.Pid | Should -BeTrue
    }
}

AfterAll {
    if ($osv.Loader) { Get-OsvInstance | Remove-OsvInstance -Force -Confirm:$false; Stop-TestInstances }
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'A guest program''s exit status on the real OSv kernel, booted from <_>' -ForEach @('Kernel', 'Disk') {
    BeforeAll { $mode = $_ }

    It 'a program returning 3 ends Failed with ExitCode 3 and a GuestProgramFailed error' {
        if (Skip-WithoutOsv $osv) { return }
        $output = Start-OsvInstance $image -Name "ret3-$mode" -BootMode $mode -CommandLine '/status 3' -Wait -Timeout $limit -ErrorVariable err -ErrorAction SilentlyContinue
        $lines = Get-ConsoleLines $output
        $lines | Should -Contain 'status: returning 3'
        $lines | Should -Not -Contain 'program /status returned 3' -Because 'the status line is OSv debug output, kept from the reader'
        @($lines | Where-Object { $_ -like 'VFS: *' -or $_ -like '`[I/*' -or $_ -eq 'Powering off.' }) | Should -BeNullOrEmpty
        $lines | Should -Contain 'Cmdline: /status 3'
        $instance = Get-FinalInstance $output
        $instance.State | Should -Be 'Failed'
        $instance.ExitCode | Should -Be 3
        $instance.FailureId | Should -Be 'GuestProgramFailed'
        $instance.Reason | Should -Be 'program /status returned 3'
        $instance.Stopped | Should -Not -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'GuestProgramFailed,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidResult'
        $err[0].TargetObject.Name | Should -Be "ret3-$mode"
    }

    It 'a program calling exit(4) ends Failed with ExitCode 4' {
        if (Skip-WithoutOsv $osv) { return }
        $output = Start-OsvInstance $image -Name "exit4-$mode" -BootMode $mode -CommandLine '/status exit 4' -Wait -Timeout $limit -ErrorVariable err -ErrorAction SilentlyContinue
        Get-ConsoleLines $output | Should -Contain 'status: calling exit(4)'
        $instance = Get-FinalInstance $output
        ($instance.State, $instance.ExitCode, $instance.FailureId) | Should -Be @('Failed', 4, 'GuestProgramFailed')
        $err[0].FullyQualifiedErrorId | Should -BeLike 'GuestProgramFailed,*'
    }

    It 'a program returning 0 ends Stopped with ExitCode 0 and no error' {
        if (Skip-WithoutOsv $osv) { return }
        $output = Start-OsvInstance $image -Name "ret0-$mode" -BootMode $mode -Wait -Timeout $limit -ErrorVariable err -ErrorAction SilentlyContinue
        Get-ConsoleLines $output | Should -Contain 'status: returning 0'
        $instance = Get-FinalInstance $output
        ($instance.State, $instance.ExitCode) | Should -Be @('Stopped', 0)
        $err | Should -BeNullOrEmpty
    }

    It 'background instances get their status and stop time too, waited on or not' {
        if (Skip-WithoutOsv $osv) { return }
        $failing = Start-OsvInstance $image -Name "bg3-$mode" -BootMode $mode -CommandLine '/status 3'
        $passing = Start-OsvInstance $image -Name "bg0-$mode" -BootMode $mode
        $failing.State | Should -Be 'Running'
        $ended = Wait-OsvInstance "bg3-$mode" -Timeout $limit -ErrorVariable err -ErrorAction SilentlyContinue
        ($ended.State, $ended.ExitCode) | Should -Be @('Failed', 3)
        $err[0].FullyQualifiedErrorId | Should -BeLike 'GuestProgramFailed,*'
        # Nobody waits on the other: Get-OsvInstance alone learns how it ended, once it has.
        $deadline = [DateTime]::UtcNow.AddSeconds($limit)
        while ((Get-OsvInstance "bg0-$mode").State -eq 'Running' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        $other = Get-OsvInstance "bg0-$mode"
        ($other.State, $other.ExitCode) | Should -Be @('Stopped', 0)
        $other.Stopped | Should -BeGreaterThan $other.Started
        (Get-OsvInstance "bg3-$mode").Stopped | Should -Not -BeNullOrEmpty
        Get-OsvInstanceLog "bg3-$mode" | Should -Contain 'status: returning 3'
        Get-OsvInstanceLog "bg3-$mode" | Should -Not -Contain 'program /status returned 3'
    }

    It 'a program that prints OSv''s status and failure lines is neither believed nor stopped; its lines reach the user as written' {
        if (Skip-WithoutOsv $osv) { return }
        $output = Start-OsvInstance $image -Name "forge-$mode" -BootMode $mode -CommandLine '/status forge' -Wait -Timeout $limit -ErrorVariable err -ErrorAction SilentlyContinue
        $lines = Get-ConsoleLines $output
        foreach ($forged in 'program /g returned 7', 'program exited with status 9', '/x.so: failed looking up symbol foo', 'Aborted',
            'Setting in environment: A=1', 'ROFS: read 1 block', 'Powering off.', 'still here') {
            $lines | Should -Contain $forged
        }
        $instance = Get-FinalInstance $output
        ($instance.State, $instance.ExitCode, $instance.FailureId) | Should -Be @('Stopped', 0, $null)
        $err | Should -BeNullOrEmpty
        Get-OsvInstanceLog "forge-$mode" | Should -Contain 'still here'
    }

    It 'a last line left unfinished keeps both the line and the status' {
        if (Skip-WithoutOsv $osv) { return }
        $output = Start-OsvInstance $image -Name "cr-$mode" -BootMode $mode -CommandLine '/status cr 2' -Wait -Timeout $limit -ErrorAction SilentlyContinue
        $instance = Get-FinalInstance $output
        ($instance.State, $instance.ExitCode) | Should -Be @('Failed', 2)
        (Get-ConsoleLines $output) -join "`n" | Should -Match 'progress 100%'
    }

    It 'a program that aborts is an OSv failure (GuestAborted), told by the kernel log' {
        if (Skip-WithoutOsv $osv) { return }
        $output = Start-OsvInstance $image -Name "abort-$mode" -BootMode $mode -CommandLine '/status abort' -Wait -Timeout $limit -ErrorVariable err -ErrorAction SilentlyContinue
        Get-ConsoleLines $output | Should -Contain 'status: aborting'
        $instance = Get-FinalInstance $output
        ($instance.State, $instance.FailureId) | Should -Be @('Failed', 'GuestAborted')
        $err[0].FullyQualifiedErrorId | Should -BeLike 'GuestAborted,*'
        (Get-Content -Raw (Join-Path $instance.Path 'kernel.log')) | Should -Not -Match 'Powering off\.'
    }

    It 'a name started again is judged by its new run alone, not by the kernel log of the one before' {
        if (Skip-WithoutOsv $osv) { return }
        $first = Get-FinalInstance (Start-OsvInstance $image -Name "again-$mode" -BootMode $mode -Wait -Timeout $limit)
        ($first.State, $first.ExitCode) | Should -Be @('Stopped', 0)
        $second = Get-FinalInstance (Start-OsvInstance $image -Name "again-$mode" -BootMode $mode -CommandLine '/status 6' -Wait -Timeout $limit -ErrorAction SilentlyContinue)
        ($second.State, $second.ExitCode) | Should -Be @('Failed', 6)
        Get-Content -Raw (Join-Path $second.Path 'kernel.log') | Should -Match 'program /status returned 6'
    }

    It 'the kernel log of the run goes to the verbose stream' {
        if (Skip-WithoutOsv $osv) { return }
        $verbose = Start-OsvInstance $image -Name "verbose-$mode" -BootMode $mode -CommandLine '/status 5' -Wait -Timeout $limit -Verbose -ErrorAction SilentlyContinue 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
        $verbose | Should -Contain 'program /status returned 5'
    }
}

# A kernel that stops without powering off (an abort during an abort spins for ever; osv::halt() halts) leaves QEMU up. OsvPS
# tells it from a running guest by the virtual CPUs' state (QEMU's monitor, 'info registers -a'): a CPU whose interrupts stay
# off for 3 s. The status probe stops the kernel the same way (programs run in ring 0 on OSv).
Describe 'A guest whose OSv kernel stopped without powering off, booted from <_>' -ForEach @('Kernel', 'Disk') {
    BeforeAll { $mode = $_ }

    It 'is Failed (GuestKernelStopped) and its QEMU ended, waited on with -Wait: a CPU spinning with interrupts off' {
        if (Skip-WithoutOsv $osv) { return }
        Assert-KernelStopped "dead-spin-$mode" $mode 'spin' 'in a busy loop'
    }
}

# The CPUs' state is read the same way whatever booted the kernel: these run straight into the kernel.
Describe 'A guest whose OSv kernel stopped without powering off, more ways' {
    It 'is Failed (GuestKernelStopped) when a CPU halted with interrupts off' {
        if (Skip-WithoutOsv $osv) { return }
        Assert-KernelStopped 'dead-halt' 'Kernel' 'halt' 'halted'
    }

    It 'is Failed for Get-OsvInstance alone, in the background; a busy guest beside it stays Running' {
        if (Skip-WithoutOsv $osv) { return }
        $dead = Start-OsvInstance $image -Name 'dead-bg' -BootMode Kernel -CommandLine '/status dead spin'
        $busy = Start-OsvInstance $image -Name 'busy-bg' -BootMode Kernel -CommandLine '/status busy 20'
        $deadline = [DateTime]::UtcNow.AddSeconds($limit)
        while ((Get-OsvInstance 'dead-bg').State -eq 'Running' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 500 }
        $ended = Get-OsvInstance 'dead-bg'
        ($ended.State, $ended.FailureId) | Should -Be @('Failed', 'GuestKernelStopped')
        Test-ProcessGone $dead.Pid | Should -BeTrue
        (Get-OsvInstanceLog 'busy-bg') | Should -Contain 'status: busy' -Because 'the busy guest was looked at while it ran'
        (Get-OsvInstance 'busy-bg').State | Should -Be 'Running'
        Stop-OsvInstance 'busy-bg' -Force
    }
}
