# Images through an OCI registry: Debian's docker-registry on 127.0.0.1 (TLS from a CA made for the
# run, htpasswd auth) and skopeo as the independent client; faults from a fake registry on loopback.
# The pulled image boots on the real OSv kernel (OSVPS_TEST_OSV, else /var/lib/osvps/test-osv) with the same output.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'RegistryHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $savedDockerConfig = $env:DOCKER_CONFIG
    # No auth file of this machine's user may answer for the test registry.
    $env:DOCKER_CONFIG = Join-Path $TestDrive 'no-docker-config'
    $skipReason = Get-RegistryTestSkipReason
    $osv = Find-RealOsv
    function Skip-WithoutRegistry { if ($skipReason) { Set-ItResult -Skipped -Because $skipReason; return $true } $false }
    function Probe-Lines($output) { @(Get-ConsoleLines $output | Where-Object { $_ -match '^(arg|env)\[' }) }

    $root = Join-Path $TestDrive 'capstan'
    if ($osv.Loader) { New-RealOsvRepository $root $osv | Out-Null } else { New-TestRepository $root | Out-Null }
    $project = Join-Path $TestDrive 'demo'
    New-OsvProject $project -BootCommand '/probe args hello "big world"' | Out-Null
    Add-OsvBinary (New-OsvProbe (Join-Path $TestDrive 'probe')) -Project $project -WarningAction SilentlyContinue | Out-Null
    $image = Build-OsvImage $project -Env @{ FROM = 'the registry' }
    $imageHash = (Get-FileHash -LiteralPath $image.Path).Hash

    if (-not $skipReason) {
        $registry = Start-TestRegistry (Join-Path $TestDrive 'registry')
        $tls = @{ CertificateAuthority = $registry.CaFile; Credential = $registry.Credential }
        $skopeoSrc = @('--src-cert-dir', $registry.CertDir, '--src-creds', $registry.Creds)
        $skopeoDest = @('--dest-cert-dir', $registry.CertDir, '--dest-creds', $registry.Creds)
        $skopeoInspect = @('--cert-dir', $registry.CertDir, '--creds', $registry.Creds)
        $reference = "$($registry.Address)/team/demo:1.0"
        $published = Publish-OsvImage $image -Reference $reference @tls
    }
}

AfterAll {
    Stop-TestInstances
    if ($registry) { Stop-TestRegistry $registry }
    $env:CAPSTAN_ROOT = $savedRoot
    $env:DOCKER_CONFIG = $savedDockerConfig
}

Describe 'Publish-OsvImage' {
    It 'declares ShouldProcess, takes the image from the pipeline and names the registry parameters' {
        $command = Get-Command Publish-OsvImage
        $command.Parameters.ContainsKey('WhatIf') | Should -BeTrue
        ($command.Parameters['Image'].Attributes | Where-Object { $_ -is [Parameter] }).ValueFromPipeline | Should -BeTrue
        foreach ($name in 'Reference', 'Credential', 'SkipCertificateCheck', 'AllowHttp', 'CertificateAuthority', 'NoKernel', 'ChunkSize') {
            $command.Parameters.ContainsKey($name) | Should -BeTrue -Because "-$name"
        }
        (Get-Command Save-OsvImage).DefaultParameterSet | Should -Be 'Release'
        (Get-Command Find-OsvImage).DefaultParameterSet | Should -Be 'Release'
        $about = Get-Help about_OsvPS_Oci | Out-String
        $about | Should -Match 'kubectl apply'
        $about | Should -Match '107:107'
        $about | Should -Match 'WHAT WAS RUN HERE'
    }

    It 'pushes an OCI image manifest that skopeo reads: the disk and kernel layers, OsvPS''s labels in the config' {
        if (-not $osv.Loader) { Set-ItResult -Skipped -Because "it counts the real OSv image's layers and sizes (a disk and a kernel, a disk over the proxy's cut): $($osv.Reason)"; return }
        if (Skip-WithoutRegistry) { return }
        $published.Digest | Should -Match '^sha256:[0-9a-f]{64}$'
        $published.BlobsSent | Should -Be 3
        $raw = (Invoke-Skopeo $registry (@('inspect', '--raw') + $skopeoInspect + "docker://$reference")) -join "`n" | ConvertFrom-Json
        $raw.mediaType | Should -Be 'application/vnd.oci.image.manifest.v1+json'
        $raw.config.mediaType | Should -Be 'application/vnd.oci.image.config.v1+json'
        @($raw.layers.mediaType | Select-Object -Unique) | Should -Be @('application/vnd.oci.image.layer.v1.tar')
        $raw.layers.Count | Should -Be ($osv.Loader ? 2 : 1) -Because 'a disk layer, and a kernel layer when the loader has a kernel'
        $inspect = (Invoke-Skopeo $registry (@('inspect') + $skopeoInspect + "docker://$reference")) -join "`n" | ConvertFrom-Json
        $inspect.Digest | Should -Be $published.Digest
        $inspect.Architecture | Should -Be 'amd64'
        $inspect.Os | Should -Be 'linux'
        $inspect.Labels.'org.osvps.command-line' | Should -Be $image.CommandLine
        $inspect.Labels.'org.osvps.config-sets' | Should -Be 'default'
        $inspect.Labels.'org.osvps.disk.path' | Should -Be '/disk/demo.qcow2'
        $inspect.Labels.'org.osvps.disk.sha256' | Should -Be "sha256:$($imageHash.ToLowerInvariant())"
        $inspect.Labels.'org.osvps.platform' | Should -Be $image.Platform
        if ($osv.Loader) {
            $inspect.Labels.'org.osvps.boot-mode' | Should -Be 'kernel'
            $inspect.Labels.'org.osvps.kernel.path' | Should -Be '/boot/osv-kernel.elf'
        }
    }

    It 'lays the disk and kernel out as a KubeVirt containerDisk: the only file in /disk, owned 107:107, mode 0440 (read from skopeo''s copy with GNU tar)' {
        if (Skip-WithoutRegistry) { return }
        $layout = Join-Path $TestDrive 'layout'
        Invoke-Skopeo $registry (@('copy') + $skopeoSrc + "docker://$reference", "oci:${layout}:demo") | Out-Null
        $index = Get-Content -Raw (Join-Path $layout 'index.json') | ConvertFrom-Json
        $manifest = Get-Content -Raw (Join-Path $layout "blobs/sha256/$($index.manifests[0].digest.Substring(7))") | ConvertFrom-Json
        $listing = foreach ($layer in $manifest.layers) { & tar --numeric-owner -tvf (Join-Path $layout "blobs/sha256/$($layer.digest.Substring(7))") }
        $disk = @($listing | Where-Object { $_ -match ' disk/[^/]+$' })
        $disk.Count | Should -Be 1
        $disk[0] | Should -Match '^-r--r----- 107/107 +\d+ .* disk/demo\.qcow2$'
        if ($osv.Loader) { $listing | Where-Object { $_ -match ' boot/osv-kernel\.elf$' } | Should -Match '^-r--r----- 107/107 ' }
        $out = Join-Path $TestDrive 'unpacked'
        New-Item -ItemType Directory $out | Out-Null
        & tar -xf (Join-Path $layout "blobs/sha256/$($manifest.layers[0].digest.Substring(7))") -C $out
        (Get-FileHash (Join-Path $out 'disk/demo.qcow2')).Hash | Should -Be $imageHash
    }

    It 'sends no blob the second time: the registry sees only HEADs and the manifest' {
        if (-not $osv.Loader) { Set-ItResult -Skipped -Because "it counts the real OSv image's layers and sizes (a disk and a kernel, a disk over the proxy's cut): $($osv.Reason)"; return }
        if (Skip-WithoutRegistry) { return }
        $from = Get-RegistryLogLength $registry
        $again = Get-OsvImage demo | Publish-OsvImage -Reference $reference @tls
        $again.BlobsSent | Should -Be 0
        $again.BlobsSkipped | Should -Be 3
        $again.Digest | Should -Be $published.Digest
        Start-Sleep -Milliseconds 300
        $seen = Get-RegistryRequests $registry 'team/demo' $from
        @($seen | Where-Object { $_ -like 'HEAD /v2/team/demo/blobs/*' }).Count | Should -Be 3
        @($seen | Where-Object { $_ -match '^(POST|PATCH|PUT) /v2/team/demo/blobs' }) | Should -BeNullOrEmpty
    }

    It 'sends a blob in PATCH chunks that follow each Location, and the registry stores the same bytes' {
        if (Skip-WithoutRegistry) { return }
        $from = Get-RegistryLogLength $registry
        $chunked = Publish-OsvImage demo -Reference "$($registry.Address)/team/chunked:1" -ChunkSize 1MB -NoKernel @tls
        $chunked.BlobsSent | Should -Be 2
        Start-Sleep -Milliseconds 300
        @(Get-RegistryRequests $registry 'team/chunked' $from | Where-Object { $_ -like 'PATCH *' }).Count | Should -Be ([Math]::Ceiling((Get-Item $image.Path).Length / 1MB))
        $out = Join-Path $TestDrive 'chunked-dir'
        Invoke-Skopeo $registry (@('copy') + $skopeoSrc + "docker://$($registry.Address)/team/chunked:1", "dir:$out") | Out-Null
        $raw = Get-Content -Raw (Join-Path $out 'manifest.json') | ConvertFrom-Json
        $raw.layers.Count | Should -Be 1
        & tar -xf (Join-Path $out $raw.layers[0].digest.Substring(7)) -C $out
        (Get-FileHash (Join-Path $out 'disk/demo.qcow2')).Hash | Should -Be $imageHash
    }

    It 'shows one bar a blob, ended once, though a chunked upload reports again while the registry answers' {
        if (Skip-WithoutRegistry) { return }
        $run = Invoke-WithProgress 'param($r, $tls) Publish-OsvImage demo -Reference $r -ChunkSize 1MB -NoKernel @tls' "$($registry.Address)/team/chunkbar:1", $tls
        $run.Errors | Should -BeNullOrEmpty
        $bars = @($run.Progress | Group-Object Activity)
        $bars.Count | Should -BeGreaterThan 0
        foreach ($bar in $bars) {
            $records = @($bar.Group)
            @($records | Where-Object RecordType -eq 'Completed').Count | Should -Be 1 -Because "$($bar.Name) ends once"
            $records[-1].RecordType | Should -Be 'Completed' -Because "$($bar.Name) shows nothing after its end"
        }
        $disk = @($bars | Where-Object Name -like 'Uploading*disk*')
        $disk | Should -HaveCount 1
        @($disk[0].Group | Where-Object PercentComplete -eq 100).Count | Should -Be 1
    }

    It 'restarts a chunked push cut half way cleanly: the real registry drops the broken session, a new one gets the whole blob' {
        if (-not $osv.Loader) { Set-ItResult -Skipped -Because "it counts the real OSv image's layers and sizes (a disk and a kernel, a disk over the proxy's cut): $($osv.Reason)"; return }
        if (Skip-WithoutRegistry) { return }
        $proxy = Start-CuttingProxy ([int]$registry.Address.Split(':')[1]) 1.5MB
        try {
            $from = Get-RegistryLogLength $registry
            $restarted = Publish-OsvImage demo -Reference "$($proxy.Address)/team/restarted:1" -ChunkSize 1MB -NoKernel @tls
            $proxy.State.Cuts | Should -Be 1
            $restarted.BlobsSent | Should -Be 2
            Start-Sleep -Milliseconds 300
            $log = @(Get-Content -LiteralPath $registry.LogFile | Select-Object -Skip $from | Where-Object { $_ -like '*/v2/team/restarted/*' })
            # distribution 2.8 answers the cut PATCH with 500 and forgets the session: asked how much it holds, it says 404.
            @($log | Where-Object { $_ -match '"PATCH [^"]+" 500 ' }).Count | Should -Be 1
            @($log | Where-Object { $_ -match '"GET /v2/team/restarted/blobs/uploads/[^"]+" 404 ' }).Count | Should -Be 1
            @($log | Where-Object { $_ -match '"DELETE /v2/team/restarted/blobs/uploads/' }).Count | Should -Be 1 -Because 'the broken session is cancelled'
            @($log | Where-Object { $_ -match '"POST ' }).Count | Should -Be 3 -Because 'the disk twice (cut, then whole), the config once'
        }
        finally { $proxy.Stop.Invoke() }
        $out = Join-Path $TestDrive 'restarted-dir'
        Invoke-Skopeo $registry (@('copy') + $skopeoSrc + "docker://$($registry.Address)/team/restarted:1", "dir:$out") | Out-Null
        $raw = Get-Content -Raw (Join-Path $out 'manifest.json') | ConvertFrom-Json
        & tar -xf (Join-Path $out $raw.layers[0].digest.Substring(7)) -C $out
        (Get-FileHash (Join-Path $out 'disk/demo.qcow2')).Hash | Should -Be $imageHash
    }

    It 'sends nothing under -WhatIf' {
        if (Skip-WithoutRegistry) { return }
        Publish-OsvImage demo -Reference "$($registry.Address)/team/whatif:1" @tls -WhatIf | Should -BeNullOrEmpty
        { Invoke-Skopeo $registry (@('inspect', '--raw') + $skopeoInspect + "docker://$($registry.Address)/team/whatif:1") } | Should -Throw '*manifest unknown*'
    }

    It 'pulls what skopeo copied (recompressed as gzip) into an empty repository: the same bytes, and it boots on the real kernel with the same output' {
        if (Skip-WithoutRegistry) { return }
        $copied = "$($registry.Address)/other/copied:2.0"
        # Through a dir: copy, pushed with --preserve-digests: else skopeo's blob cache knows the uncompressed
        # blobs are in team/demo and mounts those instead of sending the gzip ones.
        $dir = Join-Path $TestDrive 'gzip-dir'
        Invoke-Skopeo $registry (@('copy', '--dest-compress', '--dest-compress-format', 'gzip') + $skopeoSrc + "docker://$reference", "dir:$dir") | Out-Null
        Invoke-Skopeo $registry (@('copy', '--preserve-digests') + $skopeoDest + "dir:$dir", "docker://$copied") | Out-Null
        $raw = (Invoke-Skopeo $registry (@('inspect', '--raw') + $skopeoInspect + "docker://$copied")) -join "`n" | ConvertFrom-Json
        @($raw.layers.mediaType | Select-Object -Unique) | Should -Be @('application/vnd.oci.image.layer.v1.tar+gzip')
        $env:CAPSTAN_ROOT = Join-Path $TestDrive 'empty'
        try {
            $pulled = Save-OsvImage -Reference $copied @tls
            $pulled.Name | Should -Be 'copied'
            (Get-FileHash $pulled.Path).Hash | Should -Be $imageHash
            $pulled.CommandLine | Should -Be $image.CommandLine
            $pulled.ConfigSets | Should -Be $image.ConfigSets
            $pulled.Platform | Should -Be $image.Platform
            @(Get-ChildItem -Recurse -File -Force (Join-Path $env:CAPSTAN_ROOT 'cache') -ErrorAction Ignore) | Should -BeNullOrEmpty -Because 'the layers are not kept once the image is in place'
            if (-not $osv.Loader) { Set-ItResult -Skipped -Because $osv.Reason; return }
            Test-Path (Join-Path $env:CAPSTAN_ROOT 'repository/copied/copied.elf') | Should -BeTrue
            $after = Start-OsvInstance copied -Name pulled-kernel -BootMode Kernel -Wait -Timeout 60
            ($after | Select-Object -Last 1).State | Should -Be 'Stopped' -Because ((Get-ConsoleLines $after) -join "`n")
        }
        finally { $env:CAPSTAN_ROOT = $root }
        $before = Start-OsvInstance demo -Name original-kernel -BootMode Kernel -Wait -Timeout 60
        $expected = Probe-Lines $before
        $expected | Should -Contain 'arg[1]=<big world>'
        $expected | Should -Contain 'env[FROM]=<the registry>'
        Probe-Lines $after | Should -Be $expected
    }

    It 'resumes a pull cut half way: the real registry answers the Range with 206 and the rest, the image is the same bytes' {
        if (-not $osv.Loader) { Set-ItResult -Skipped -Because "it counts the real OSv image's layers and sizes (a disk and a kernel, a disk over the proxy's cut): $($osv.Reason)"; return }
        if (Skip-WithoutRegistry) { return }
        $proxy = Start-CuttingProxy ([int]$registry.Address.Split(':')[1]) 2MB -Download
        $env:CAPSTAN_ROOT = Join-Path $TestDrive 'resumed-pull'
        try {
            $from = Get-RegistryLogLength $registry
            $pulled = Save-OsvImage -Reference "$($proxy.Address)/team/demo:1.0" @tls
            $proxy.State.Cuts | Should -Be 1
            (Get-FileHash $pulled.Path).Hash | Should -Be $imageHash
            Start-Sleep -Milliseconds 300
            $layer = @(Get-Content -LiteralPath $registry.LogFile | Select-Object -Skip $from | Where-Object { $_ -match '"GET /v2/team/demo/blobs/sha256:[0-9a-f]+ [^"]*" (200|206) (\d+)' } |
                ForEach-Object { [pscustomobject]@{ Status = $Matches[1]; Bytes = [long]$Matches[2] } })
            @($layer | Where-Object Status -eq '206').Count | Should -Be 1 -Because 'the broken layer is asked for from where it broke'
            ($layer | Where-Object Status -eq '206').Bytes | Should -BeLessThan ((Get-Item $image.Path).Length)
        }
        finally { $env:CAPSTAN_ROOT = $root; $proxy.Stop.Invoke() }
    }

    It 'pulls by digest under another name, and refuses to replace an image without -Force' {
        if (Skip-WithoutRegistry) { return }
        $env:CAPSTAN_ROOT = Join-Path $TestDrive 'bydigest'
        try {
            $pulled = Save-OsvImage -Reference $published.PinnedReference -Name team/pinned @tls
            $pulled.Name | Should -Be 'team/pinned'
            (Get-FileHash $pulled.Path).Hash | Should -Be $imageHash
            Save-OsvImage -Reference $published.PinnedReference -Name team/pinned @tls -ErrorVariable failed -ErrorAction SilentlyContinue
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'ImageExists,*'
            (Save-OsvImage -Reference $published.PinnedReference -Name team/pinned @tls -Force).Name | Should -Be 'team/pinned'
        }
        finally { $env:CAPSTAN_ROOT = $root }
    }

    It 'lists tags (a wildcard filters them) and reads one tag''s metadata' {
        if (Skip-WithoutRegistry) { return }
        Publish-OsvImage demo -Reference "$($registry.Address)/team/demo:2.0" @tls | Out-Null
        @(Find-OsvImage -Reference "$($registry.Address)/team/demo" @tls).Tag | Should -Be @('1.0', '2.0')
        @(Find-OsvImage -Reference "$($registry.Address)/team/demo:2*" @tls).Tag | Should -Be @('2.0')
        $found = Find-OsvImage -Reference $reference @tls
        $found.Digest | Should -Be $published.Digest
        $found.DiskPath | Should -Be '/disk/demo.qcow2'
        $found.CommandLine | Should -Be $image.CommandLine
    }

    It 'takes the credentials from $DOCKER_CONFIG/config.json (base64 auth), as docker login writes them' {
        if (Skip-WithoutRegistry) { return }
        $folder = Join-Path $TestDrive 'docker-config'
        New-Item -ItemType Directory -Force $folder | Out-Null
        $auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($registry.Creds))
        Set-Content -LiteralPath (Join-Path $folder 'config.json') -Value (@{ auths = @{ "https://$($registry.Address)" = @{ auth = $auth } } } | ConvertTo-Json -Depth 4)
        $env:DOCKER_CONFIG = $folder
        try { (Find-OsvImage -Reference $reference -CertificateAuthority $registry.CaFile).Digest | Should -Be $published.Digest }
        finally { $env:DOCKER_CONFIG = Join-Path $TestDrive 'no-docker-config' }
    }

    It 'refuses a wrong password and no credentials with RegistryUnauthorized' {
        if (Skip-WithoutRegistry) { return }
        $wrong = [pscredential]::new($registry.User, (ConvertTo-SecureString 'not it' -AsPlainText -Force))
        Find-OsvImage -Reference $reference -CertificateAuthority $registry.CaFile -Credential $wrong -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'RegistryUnauthorized,*'
        $failed[0].Exception.Message | Should -BeLike "*refused the credentials of '$($registry.User)'*"
        Publish-OsvImage demo -Reference $reference -CertificateAuthority $registry.CaFile -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'RegistryUnauthorized,*'
        $failed[0].Exception.Message | Should -BeLike '*none were given*'
    }

    It 'verifies TLS: a certificate of an unknown authority is RegistryCertificateInvalid unless -SkipCertificateCheck' {
        if (Skip-WithoutRegistry) { return }
        Find-OsvImage -Reference $reference -Credential $registry.Credential -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'RegistryCertificateInvalid,*'
        (Find-OsvImage -Reference $reference -Credential $registry.Credential -SkipCertificateCheck).Digest | Should -Be $published.Digest
    }
}

Describe 'Registry faults' {
    BeforeAll {
        $emptyRoot = Join-Path $TestDrive 'faults'
        function Assert-NothingWritten {
            @(Get-ChildItem -Recurse -File -Force (Join-Path $emptyRoot 'repository') -ErrorAction Ignore) | Should -BeNullOrEmpty
            @(Get-ChildItem -Recurse -File -Force (Join-Path $emptyRoot 'cache') -ErrorAction Ignore | Where-Object Name -NotLike '*.partial') | Should -BeNullOrEmpty
        }
        # An OsvPS config whose disk is 4096 bytes of 7s, and a manifest naming it with a layer digest the server does not keep to.
        $config = [Text.Encoding]::UTF8.GetBytes((@{ architecture = 'amd64'; os = 'linux'; rootfs = @{ type = 'layers'; diff_ids = @() }
            config = @{ Labels = @{ 'org.osvps.format' = '1'; 'org.osvps.disk.path' = '/disk/x.img'; 'org.osvps.disk.format' = 'raw'; 'org.osvps.disk.sha256' = 'sha256:' + ('1' * 64) } } } | ConvertTo-Json -Depth 5 -Compress))
        $sha = [Security.Cryptography.SHA256]::Create()
        $hex = { param($b) -join ($sha.ComputeHash($b) | ForEach-Object { $_.ToString('x2') }) }
        $layer = [byte[]]::new(8192)
        $manifest = [Text.Encoding]::UTF8.GetBytes((@{ schemaVersion = 2; mediaType = 'application/vnd.oci.image.manifest.v1+json'
            config = @{ mediaType = 'application/vnd.oci.image.config.v1+json'; digest = 'sha256:' + (& $hex $config); size = $config.Length }
            layers = @(@{ mediaType = 'application/vnd.oci.image.layer.v1.tar'; digest = 'sha256:' + ('2' * 64); size = $layer.Length }) } | ConvertTo-Json -Depth 5 -Compress))
    }

    It 'a registry that cuts every blob upload half way: OciUploadFailed after three tries, each session cancelled, no manifest put' {
        $fault = Start-FaultRegistry 'CutUpload'
        try {
            Publish-OsvImage $image -Reference "$($fault.Address)/team/cut:1" -ChunkSize 0 -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'OciUploadFailed,*'
            $seen = @($fault.Requests.ToArray())
            @($seen | Where-Object { $_ -like 'POST */blobs/uploads/' }).Count | Should -Be 3
            @($seen | Where-Object { $_ -like 'DELETE /upload/*' }).Count | Should -Be 3
            @($seen | Where-Object { $_ -like 'PUT */manifests/*' }) | Should -BeNullOrEmpty
        }
        finally { $fault.Stop.Invoke() }
    }

    It 'a registry that stores a blob under another digest: OciDigestMismatch, no manifest put' {
        $fault = Start-FaultRegistry 'WrongPushDigest'
        try {
            Publish-OsvImage $image -Reference "$($fault.Address)/team/wrong:1" -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'OciDigestMismatch,*'
            @($fault.Requests.ToArray() | Where-Object { $_ -like 'PUT */manifests/*' }) | Should -BeNullOrEmpty
        }
        finally { $fault.Stop.Invoke() }
    }

    It 'a layer whose bytes are not its digest: OciDigestMismatch, nothing in the repository' {
        $fault = Start-FaultRegistry 'WrongBlob' $manifest $config $layer
        $env:CAPSTAN_ROOT = $emptyRoot
        try {
            Save-OsvImage -Reference "$($fault.Address)/team/bad:1" -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'OciDigestMismatch,*'
            Assert-NothingWritten
            @(Get-ChildItem -Recurse -File -Force $emptyRoot -ErrorAction Ignore) | Should -BeNullOrEmpty -Because 'a download with a wrong digest is deleted'
        }
        finally { $env:CAPSTAN_ROOT = $root; $fault.Stop.Invoke() }
    }

    It 'a manifest of another media type (Docker schema 1): OciManifestNotSupported, nothing in the repository' {
        $fault = Start-FaultRegistry 'ForeignManifest'
        $env:CAPSTAN_ROOT = $emptyRoot
        try {
            Save-OsvImage -Reference "$($fault.Address)/team/old:1" -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'OciManifestNotSupported,*'
            $failed[0].Exception.Message | Should -BeLike '*manifest.v1+prettyjws*'
            Assert-NothingWritten
        }
        finally { $env:CAPSTAN_ROOT = $root; $fault.Stop.Invoke() }
    }

    It 'plain HTTP is refused for a registry that is not on this machine unless -AllowHttp' {
        Find-OsvImage -Reference 'registry.invalid:5000/team/demo:1' -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'RegistryUnreachable,*'
        $failed[0].Exception.Message | Should -BeLike '*-AllowHttp*'
    }
}

Describe 'ConvertTo-OsvKubeVirt' {
    It 'writes a VirtualMachineInstance whose containerDisk and kernelBoot name the published image by digest, with its command line' {
        if (Skip-WithoutRegistry) { return }
        $yaml = $published | ConvertTo-OsvKubeVirt -Namespace osv -Memory 512MB
        $yaml | Should -Match '(?m)^apiVersion: "kubevirt.io/v1"$'
        $yaml | Should -Match '(?m)^kind: "VirtualMachineInstance"$'
        $yaml | Should -Match "(?m)^      path: `"/disk/demo.qcow2`"$"
        $yaml | Should -Match "(?m)^        memory: `"512Mi`"$"
        $yaml | Should -Match ([regex]::Escape("image: `"$($published.PinnedReference)`""))
        if ($osv.Loader) {
            $yaml | Should -Match '(?m)^          kernelPath: "/boot/osv-kernel.elf"$'
            $quoted = $image.CommandLine.Replace('\', '\\').Replace('"', '\"')
            $yaml | Should -Match ([regex]::Escape("kernelArgs: `"$quoted`""))
        }
        # The image the YAML names is one skopeo can read, with the disk where the YAML says.
        $named = [regex]::Match($yaml, 'image: "([^"]+)"').Groups[1].Value
        $inspect = (Invoke-Skopeo $registry (@('inspect') + $skopeoInspect + "docker://$named")) -join "`n" | ConvertFrom-Json
        $inspect.Labels.'org.osvps.disk.path' | Should -Be '/disk/demo.qcow2'
    }

    It 'boots on the real kernel as the YAML has KubeVirt attach it: kernelArgs to -append, the disk on a non-transitional virtio-blk (machine pc)' {
        if (Skip-WithoutRegistry) { return }
        if (-not $osv.Loader) { Set-ItResult -Skipped -Because $osv.Reason; return }
        $yaml = $published | ConvertTo-OsvKubeVirt -MachineType pc
        $yaml | Should -Match '(?m)^    machine:\n      type: "pc"$'
        $kernelArgs = [regex]::Match($yaml, '(?m)^        kernelArgs: "(.*)"$').Groups[1].Value.Replace('\"', '"').Replace('\\', '\')
        $env:CAPSTAN_ROOT = Join-Path $TestDrive 'kubevirt-like'
        try { $pulled = Save-OsvImage -Reference $published.PinnedReference -Name kv @tls }
        finally { $env:CAPSTAN_ROOT = $root }
        $kernel = [IO.Path]::ChangeExtension($pulled.Path, '.elf')
        # What virt-launcher gives QEMU, as far as OSv sees it: -kernel/-append from kernelBoot, the containerDisk
        # behind a writable overlay (snapshot=on here) on virtio-blk-pci-non-transitional. On q35 this OSv build
        # stops after probing virtio-blk (about_OsvPS_Oci), so the machine is pc.
        $output = & timeout 60 qemu-system-x86_64 -machine pc -m 256 -smp 1 -display none -serial stdio -no-reboot -nodefaults `
            -kernel $kernel -append $kernelArgs -drive "file=$($pulled.Path),if=none,id=hd0,format=qcow2,snapshot=on" `
            -device virtio-blk-pci,drive=hd0,disable-legacy=on,disable-modern=off -device virtio-rng-pci,disable-legacy=on 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output | Should -Contain 'arg[1]=<big world>'
        $output | Should -Contain 'env[FROM]=<the registry>'
    }

    It 'reads the image from the registry with -Reference, and refuses a name that is not a DNS label' {
        if (Skip-WithoutRegistry) { return }
        ConvertTo-OsvKubeVirt -Reference $reference @tls -Name demo-vm -BootMode Disk | Should -Not -Match 'kernelBoot'
        $published | ConvertTo-OsvKubeVirt -Name 'Not_Valid' -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'KubeVirtSettingInvalid,*'
    }
}
