BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $src = Join-Path $TestDrive 'src'
    New-Item -ItemType Directory -Force $src | Out-Null
    Set-Content (Join-Path $src 'ghost.c') 'int ghost(void) { return 0; }'
    Set-Content (Join-Path $src 'useghost.c') 'int ghost(void); int main(void) { return ghost(); }'
    Push-Location $src
    try {
        & gcc -shared -fPIC -o libghost.so ghost.c
        & gcc -fPIE -pie -o needs-ghost useghost.c -L. -lghost
        Remove-Item libghost.so
    }
    finally { Pop-Location }
}

Describe 'Get-OsvElfInfo' {
    It 'classifies a machine binary and shows where each library comes from' {
        $info = Get-OsvElfInfo /usr/bin/qemu-img
        $info.Kind | Should -Be 'PositionIndependentExecutable'
        $info.Architecture | Should -Be '64-bit x86-64'
        $info.RunsOnOsv | Should -BeTrue
        $info.Interpreter | Should -Be '/lib64/ld-linux-x86-64.so.2'
        ($info.Dependencies | Where-Object Name -eq 'libc.so.6').Via | Should -Be 'Provided'
        $glib = $info.Dependencies | Where-Object Name -eq 'libglib-2.0.so.0'
        $glib.Via | Should -Be 'Cache'
        $glib.Path | Should -BeLike '*/libglib-2.0.so.0'
        $info.Missing | Should -BeNullOrEmpty
    }

    It 'names the missing libraries' {
        $info = Get-OsvElfInfo (Join-Path $src 'needs-ghost')
        $info.Missing | Should -Be @('libghost.so')
        ($info.Dependencies | Where-Object Name -eq 'libghost.so').RequiredBy | Should -Be @((Join-Path $src 'needs-ghost'))
    }

    It 'takes Get-ChildItem output and copies nothing' {
        $before = Get-ChildItem -Recurse $TestDrive | Measure-Object
        (Get-ChildItem /usr/bin/qemu-img | Get-OsvElfInfo).Kind | Should -Be 'PositionIndependentExecutable'
        (Get-ChildItem -Recurse $TestDrive | Measure-Object).Count | Should -Be $before.Count
    }

    It 'reports ElfFormatInvalid for a text file' {
        Get-OsvElfInfo /etc/hostname -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ElfFormatInvalid,*'
    }
}
