# Add-OsvContainerImage on images made here with umoci from this machine's redis-server (its libraries from
# ldd, the loader, a config file): an OCI layout of two layers, the second with a whiteout, and the same image
# as a docker-archive (skopeo). What it carries is checked file by file, and answers on the real OSv kernel,
# booted from disk and straight into the kernel.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'ServerHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $osv = Find-RealOsv
    if ($osv.Loader) { New-RealOsvRepository (Join-Path $TestDrive 'capstan') $osv | Out-Null }
    else { $env:CAPSTAN_ROOT = Join-Path $TestDrive 'capstan' }

    $missing = @('umoci', 'skopeo', 'redis-server') | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction Ignore) }
    $skipReason = if ($missing) { "not installed here: $($missing -join ', ')" }
    function Skip-WithoutTools { if ($skipReason) { Set-ItResult -Skipped -Because $skipReason; return $true }; $false }

    # Boots the project's image with a forward to $GuestPort, asks until the answer matches $Expect (QEMU accepts a
    # forwarded connection before the guest listens, and drops it) or 90 s pass, stops the guest; returns the answer.
    function Invoke-GuestServer([string] $Project, [string] $Name, [string] $BootMode, [int] $GuestPort, [string] $Request, [string] $Expect, [string] $CommandLine) {
        $port = Get-FreePort
        $extra = if ($CommandLine) { @{ CommandLine = $CommandLine } } else { @{} }
        $instance = Build-OsvImage $Project | Start-OsvInstance -Name $Name -BootMode $BootMode -Forward "${port}:$GuestPort" @extra
        try {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            while ($clock.Elapsed.TotalSeconds -lt 90) {
                $answer = Send-TcpText $port $Request
                if ($answer -match $Expect) { return $answer }
                Start-Sleep -Milliseconds 200
            }
            $null
        }
        finally {
            $instance | Stop-OsvInstance -ErrorAction SilentlyContinue
            $instance | Remove-OsvInstance -Force -ErrorAction SilentlyContinue
        }
    }

    # A program at its own path, with the libraries ldd maps and the loader, as an image has them.
    function Copy-Program([string] $Rootfs, [string] $Program) {
        foreach ($file in @($Program) + @(ldd $Program | Select-String '=> (/\S+)' | ForEach-Object { $_.Matches[0].Groups[1].Value }) + '/lib64/ld-linux-x86-64.so.2') {
            New-Item -ItemType Directory -Force (Join-Path $Rootfs (Split-Path $file)) | Out-Null
            Copy-Item $file (Join-Path $Rootfs $file)
        }
    }

    # One layer: this machine's nginx (OSv's linker runs it whole), a configuration for one process that writes
    # only under /tmp, and a page; the command in shell form, of plain words, found on Docker's default PATH.
    function New-NginxImage([string] $Folder) {
        $layout = Join-Path $Folder 'nginx'; $bundle = Join-Path $Folder 'nginx-bundle'; $rootfs = Join-Path $bundle 'rootfs'
        umoci init --layout $layout; umoci new --image "${layout}:1"
        umoci unpack --image "${layout}:1" $bundle
        Copy-Program $rootfs /usr/sbin/nginx
        New-Item -ItemType Directory -Force (Join-Path $rootfs 'etc/nginx'), (Join-Path $rootfs 'srv/www') | Out-Null
        Set-Content (Join-Path $rootfs 'srv/www/page.txt') 'carried from a container image'
        Set-Content (Join-Path $rootfs 'etc/nginx/osv.conf') @'
daemon off;
master_process off;
worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr notice;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path /tmp/client_body;
    proxy_temp_path /tmp/proxy;
    fastcgi_temp_path /tmp/fastcgi;
    uwsgi_temp_path /tmp/uwsgi;
    scgi_temp_path /tmp/scgi;
    server { listen 80; root /srv/www; }
}
'@
        umoci repack --image "${layout}:1" $bundle
        umoci config --image "${layout}:1" --config.cmd /bin/sh --config.cmd=-c --config.cmd 'exec nginx -e stderr -c /etc/nginx/osv.conf' --config.exposedports 80/tcp
        $layout
    }

    # Layer 1: redis-server (this machine's link to redis-check-rdb), the libraries ldd maps, the loader,
    # documentation, a build log and a file the second layer removes. Layer 2: the config file, and the whiteout.
    function New-RedisImage([string] $Folder) {
        $layout = Join-Path $Folder 'layout'; $bundle = Join-Path $Folder 'bundle'; $rootfs = Join-Path $bundle 'rootfs'
        umoci init --layout $layout; umoci new --image "${layout}:1"
        umoci unpack --image "${layout}:1" $bundle
        $program = (Get-Item /usr/bin/redis-server).ResolveLinkTarget($true).FullName
        foreach ($f in 'etc/redis', 'usr/share/doc/redis', 'var/log', 'data') { New-Item -ItemType Directory -Force (Join-Path $rootfs $f) | Out-Null }
        Copy-Program $rootfs $program
        New-Item -ItemType SymbolicLink -Path (Join-Path $rootfs 'usr/bin/redis-server') -Target (Split-Path -Leaf $program) | Out-Null
        Set-Content (Join-Path $rootfs 'usr/share/doc/redis/README') 'documentation'
        Set-Content (Join-Path $rootfs 'var/log/build.log') 'built'
        Set-Content (Join-Path $rootfs 'etc/redis/removed.conf') 'the second layer removes this'
        umoci repack --image "${layout}:1" $bundle
        Remove-Item -Recurse -Force $bundle
        umoci unpack --image "${layout}:1" $bundle
        Remove-Item (Join-Path $rootfs 'etc/redis/removed.conf')
        # No snapshots (they fork), every address (the host comes through QEMU's network), 7 databases to ask for.
        Set-Content (Join-Path $rootfs 'etc/redis/osv.conf') "save `"`"`nappendonly no`nprotected-mode no`nbind 0.0.0.0`nport 6379`ndatabases 7`n"
        umoci repack --image "${layout}:1" $bundle
        umoci config --image "${layout}:1" --config.entrypoint redis-server --config.cmd /etc/redis/osv.conf `
            --config.env 'PATH=/usr/local/bin:/usr/bin:/bin' --config.env 'GREETING=hello from; the image' `
            --config.workingdir /data --config.user redis --config.volume /data --config.exposedports 6379/tcp
        skopeo copy --quiet "oci:${layout}:1" "docker-archive:$(Join-Path $Folder 'redis.tar'):redis:1"
        $layout
    }
    if (-not $skipReason) {
        $images = Join-Path $TestDrive 'images'
        New-Item -ItemType Directory $images | Out-Null
        $layout = New-RedisImage $images
        $project = Join-Path $TestDrive 'redis'
        New-OsvProject $project | Out-Null
        $result = Add-OsvContainerImage "oci:${layout}:1" -Project $project -WarningVariable carriedWarnings -WarningAction SilentlyContinue
        if (Get-Command nginx -CommandType Application -ErrorAction Ignore) {
            $nginxLayout = New-NginxImage $images
            $nginxProject = Join-Path $TestDrive 'nginx'
            New-OsvProject $nginxProject | Out-Null
            $nginx = Add-OsvContainerImage "oci:${nginxLayout}:1" -Project $nginxProject -WarningVariable nginxWarnings -WarningAction SilentlyContinue
        }
        # The way the verdict recommends: with a kernel to check against, this machine's redis lacks symbols on OSv's
        # linker (RunsUnlessCalled) and runs whole on Linux's (Test-OsvBinary says the same); without one, OSv's linker.
        $boot = if ($result.Way -eq 'LinuxLinker') { '/lib64/ld-linux-x86-64.so.2 /usr/bin/redis-server /etc/redis/osv.conf' } else { '/usr/bin/redis-server /etc/redis/osv.conf' }
    }
}

AfterAll {
    Stop-TestInstances
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'Add-OsvContainerImage' {
    Context 'metadata' {
        It 'takes references by position and from the pipeline, supports -WhatIf and has the registry parameters' {
            $command = Get-Command Add-OsvContainerImage
            $reference = $command.Parameters['Reference']
            $reference.ParameterType | Should -Be ([string[]])
            $reference.Attributes.Where({ $_ -is [Management.Automation.ParameterAttribute] })[0].Position | Should -Be 0
            $reference.Attributes.Where({ $_ -is [Management.Automation.ParameterAttribute] })[0].ValueFromPipeline | Should -BeTrue
            $command.Parameters.Keys | Should -Contain 'WhatIf'
            $command.Parameters.Keys | Should -Contain 'Credential'
            $command.Parameters.Keys | Should -Contain 'AllowHttp'
            $command.OutputType.Name | Should -Be 'OsvPS.Core.Models.OsvContainerImage'
        }
    }

    Context 'an OCI layout of two layers' {
        It 'carries the image''s tree, and the program''s libraries where OSv''s linker looks' {
            if (Skip-WithoutTools) { return }
            (Get-Item (Join-Path $project 'usr/bin/redis-server')).LinkTarget | Should -Be 'redis-check-rdb'
            Join-Path $project 'usr/bin/redis-check-rdb' | Should -Exist
            Get-Content (Join-Path $project 'etc/redis/osv.conf') | Should -Contain 'databases 7'
            Join-Path $project 'lib64/ld-linux-x86-64.so.2' | Should -Exist
            # OSv's linker looks in / and /usr/lib only: the program's libraries go there too; Linux's uses the image's own.
            Test-Path (Join-Path $project 'usr/lib/libjemalloc.so.2') | Should -Be ($result.Way -eq 'OsvLinker')
            Join-Path $project 'lib/x86_64-linux-gnu/libjemalloc.so.2' | Should -Exist
            Join-Path $project 'data' | Should -Exist
        }

        It 'leaves out what the whiteout removed, documentation and logs, and says why' {
            if (Skip-WithoutTools) { return }
            Join-Path $project 'etc/redis/removed.conf' | Should -Not -Exist
            Join-Path $project 'usr/share/doc' | Should -Not -Exist
            Join-Path $project 'var/log' | Should -Not -Exist
            $result.LeftOut | Should -Contain '/usr/share/doc: documentation (-Include Documentation), 3 entries'
            $result.LeftOut | Should -Contain '/var/log: the logs of the image''s build, 2 entries'
        }

        It 'writes a config set that starts the program as found on the PATH, with the image''s Env, as the default' {
            if (Skip-WithoutTools) { return }
            $set = (Get-OsvProject $project).ConfigSets | Where-Object Name -eq default
            $set.BootCommand | Should -Be $boot
            $set.Env['GREETING'] | Should -Be 'hello from; the image'
            $set.Env['PATH'] | Should -Be '/usr/local/bin:/usr/bin:/bin'
            Get-Content (Join-Path $project 'meta/run.yaml') | Should -Contain 'config_set_default: "default"'
        }

        It 'returns one object describing the image' {
            if (Skip-WithoutTools) { return }
            $result | Should -HaveCount 1
            $result.Reference | Should -Be "oci:${layout}:1"
            $result.Digest | Should -Match '^sha256:[0-9a-f]{64}$'
            $result.Project | Should -Be $project
            $result.ConfigSet | Should -Be 'default'
            $result.BootCommand | Should -Be $boot
            [string] $result.ExposedPorts | Should -Be '6379/tcp'
            $result.Files | Should -BeGreaterThan 15
            $result.Bytes | Should -BeGreaterThan 1MB
            $result.Root | Should -BeLike (Join-Path $env:CAPSTAN_ROOT 'cache/osvps/containers/*')
            $result.Way | Should -BeIn 'OsvLinker', 'LinuxLinker'
            if (-not $osv.Loader) { $result.Way | Should -Be 'OsvLinker' }
        }

        It 'warns for what a unikernel cannot honour: User, Volumes, WorkingDir' {
            if (Skip-WithoutTools) { return }
            $text = $carriedWarnings -join "`n"
            $text | Should -Match "runs as user 'redis': OSv has no users"
            $text | Should -Match 'declares volumes \(/data\)'
            $text | Should -Match "works in '/data'.*--cwd=/data runscript /run/default"
        }

        It 'writes nothing the second time, and reuses the unpacked root' {
            if (Skip-WithoutTools) { return }
            $again = Add-OsvContainerImage "oci:${layout}:1" -Project $project -WarningAction SilentlyContinue -Verbose 4>&1
            ($again | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'the root unpacked before'
            $again | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | Where-Object Message -match 'Performing the operation "Add [1-9]' | Should -BeNullOrEmpty
        }

        It 'changes nothing under -WhatIf' {
            if (Skip-WithoutTools) { return }
            $other = Join-Path $TestDrive 'whatif'
            New-OsvProject $other | Out-Null
            $before = Get-Content (Join-Path $other 'meta/run.yaml') -Raw
            Add-OsvContainerImage "oci:${layout}:1" -Project $other -WhatIf -WarningAction SilentlyContinue | Should -BeNullOrEmpty
            Get-Content (Join-Path $other 'meta/run.yaml') -Raw | Should -Be $before
            Join-Path $other 'usr' | Should -Not -Exist
        }
    }

    Context 'a docker-archive, and failures per reference' {
        It 'carries the same program from a docker-archive under another config set' {
            if (Skip-WithoutTools) { return }
            $p = Join-Path $TestDrive 'archive'
            New-OsvProject $p | Out-Null
            Push-Location $images
            try { $r = Add-OsvContainerImage 'docker-archive:redis.tar' -Project $p -ConfigSet redis -WarningAction SilentlyContinue }
            finally { Pop-Location }
            $r.ConfigSet | Should -Be 'redis'
            $r.BootCommand | Should -Be $boot
            Join-Path $p 'etc/redis/removed.conf' | Should -Not -Exist
            Join-Path $p 'etc/redis/osv.conf' | Should -Exist
            (Get-OsvProject $p).ConfigSets.Name | Should -Contain 'redis'
        }

        It 'reports a reference that fails and goes on with the next; a config set of another command needs -Force' {
            if (Skip-WithoutTools) { return }
            $p = Join-Path $TestDrive 'mixed'
            New-OsvProject $p -BootCommand '/other' | Out-Null
            $r = Add-OsvContainerImage "oci:$(Join-Path $TestDrive 'none')", "oci:${layout}:1" -Project $p -ErrorVariable failed -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
            $r | Should -BeNullOrEmpty
            $failed.FullyQualifiedErrorId | Should -Be @('ContainerImageNotFound,OsvPS.Commands.AddOsvContainerImageCommand', 'ConfigSetExists,OsvPS.Commands.AddOsvContainerImageCommand')
            $r = Add-OsvContainerImage "oci:${layout}:1" -Project $p -Force -WarningAction SilentlyContinue
            $r.BootCommand | Should -Be $boot
        }
    }

    Context 'a shell-form command of plain words' {
        It 'runs the program itself, found on Docker''s default PATH, on OSv''s linker, and says so' {
            if (Skip-WithoutTools) { return }
            if (-not $nginx) { Set-ItResult -Skipped -Because 'nginx is not installed here (apt-get install nginx-light)'; return }
            # This machine's nginx runs whole on OSv's linker (Test-OsvBinary says Runs), so OSv starts it directly,
            # with the libraries it needs also where OSv's linker looks.
            $nginx.Way | Should -Be 'OsvLinker'
            $nginx.BootCommand | Should -Be '/usr/sbin/nginx -e stderr -c /etc/nginx/osv.conf'
            Join-Path $nginxProject 'usr/lib/libz.so.1' | Should -Exist
            ($nginxWarnings -join "`n") | Should -Match "through a shell \('/bin/sh -c'\); the command is plain words, so OSv runs '/usr/sbin/nginx' itself"
            [string] $nginx.ExposedPorts | Should -Be '80/tcp'
        }
    }

    Context 'on the real OSv kernel' {
        It 'answers PING and reads the image''s config file (<_>)' -ForEach 'Disk', 'Kernel' {
            if (Skip-WithoutTools) { return }
            if (Skip-WithoutOsv $osv) { return }
            $answer = Invoke-GuestServer $project "cimage-$_" $_ 6379 "PING`r`nCONFIG GET databases`r`nQUIT`r`n" '^\+PONG'
            $answer | Should -Match '^\+PONG\r\n\*2\r\n\$9\r\ndatabases\r\n\$1\r\n7\r\n'
        }

        It 'starts in the image''s WorkingDir with the -CommandLine the warning gives' {
            if (Skip-WithoutTools) { return }
            if (Skip-WithoutOsv $osv) { return }
            $answer = Invoke-GuestServer $project 'cimage-cwd' Kernel 6379 "CONFIG GET dir`r`nQUIT`r`n" '^\*2' -CommandLine '--cwd=/data runscript /run/default'
            $answer | Should -Match '^\*2\r\n\$3\r\ndir\r\n\$5\r\n/data\r\n'
        }

        It 'serves the image''s page from nginx on <_>' -ForEach 'Disk', 'Kernel' {
            if (Skip-WithoutTools) { return }
            if (Skip-WithoutOsv $osv) { return }
            if (-not $nginx) { Set-ItResult -Skipped -Because 'nginx is not installed here (apt-get install nginx-light)'; return }
            $answer = Invoke-GuestServer $nginxProject "cimage-nginx-$_" $_ 80 "GET /page.txt HTTP/1.0`r`n`r`n" '^HTTP/1\.1 200'
            $answer | Should -Match '^HTTP/1\.1 200 OK\r\n'
            $answer | Should -Match 'carried from a container image'
        }
    }
}
