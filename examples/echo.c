/* The seed's program: prints its arguments separated by spaces, then a line end (like /bin/echo).
 * Built the way OSv's own apps are, as a shared object exporting main:
 *   gcc -fPIC -shared -o demo/echo.so examples/echo.c
 */
#include <stdio.h>

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        printf("%s%s", argv[i], i + 1 < argc ? " " : "\n");
    }
    return 0;
}
