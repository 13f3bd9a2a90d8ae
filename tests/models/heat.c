/*
 * heat: the 1-D heat equation u_t = D u_xx on [0, L], u(0) = u(L) = 0, from
 * u(x, 0) = sin(pi x / L), by the explicit (FTCS) finite-difference scheme.
 *
 *     usage: heat PARAMS [OUT]      (OUT defaults to out.json)
 *
 * PARAMS holds "name value" lines ('#' starts a comment): D, length, t_end, nx
 * (grid points, ends included), cfl (largest D dt / dx^2 used; at most 0.5), and two
 * switches that make the program misbehave on purpose for the tests:
 * crash_above (abort() when D exceeds it) and hang_below (sleep forever when D is
 * below it).
 *
 * OUT is a JSON object: u_mid (u at x = L/2), steps, dt, and the field u (nx values).
 * The first Fourier mode is an exact eigenvector of the scheme, so
 * u_j^n = g^n sin(pi x_j / L) with g = 1 - 4 r sin^2(pi dx / (2 L)), r = D dt / dx^2.
 *
 * Exit codes: 0 success, 2 unreadable parameters, 3 invalid parameters.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    double D, length, t_end, nx, cfl, crash_above, hang_below;
} Params;

static int set_param(Params *p, const char *name, double value)
{
    struct { const char *name; double *field; } table[] = {
        {"D", &p->D}, {"length", &p->length}, {"t_end", &p->t_end}, {"nx", &p->nx},
        {"cfl", &p->cfl}, {"crash_above", &p->crash_above}, {"hang_below", &p->hang_below},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(name, table[i].name) == 0) {
            *table[i].field = value;
            return 0;
        }
    }
    return -1;
}

static int read_params(const char *path, Params *p)
{
    char line[256], name[64];
    double value;
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        perror(path);
        return -1;
    }
    while (fgets(line, sizeof line, file) != NULL) {
        if (line[0] == '#' || sscanf(line, "%63s", name) != 1)
            continue;
        if (sscanf(line, "%63s %lf", name, &value) != 2 || set_param(p, name, value) != 0) {
            fprintf(stderr, "heat: %s: cannot read the line: %s", path, line);
            fclose(file);
            return -1;
        }
    }
    fclose(file);
    return 0;
}

static int write_json(const char *path, const double *u, int nx, long steps, double dt)
{
    FILE *file = fopen(path, "w");
    if (file == NULL) {
        perror(path);
        return -1;
    }
    fprintf(file, "{\"u_mid\": %.17g, \"steps\": %ld, \"dt\": %.17g, \"u\": [",
            u[nx / 2], steps, dt);
    for (int j = 0; j < nx; j++)
        fprintf(file, "%s%.17g", j ? ", " : "", u[j]);
    fprintf(file, "]}\n");
    return fclose(file);
}

int main(int argc, char **argv)
{
    Params p = {1.0, 1.0, 0.1, 41, 0.4, INFINITY, -INFINITY};
    if (argc < 2 || read_params(argv[1], &p) != 0)
        return 2;
    int nx = (int)p.nx;
    if (nx < 3 || nx % 2 == 0 || p.D <= 0 || p.length <= 0 || p.t_end < 0 || p.cfl <= 0
        || p.cfl > 0.5) {
        fprintf(stderr, "heat: invalid parameters (nx odd >= 3, D, length > 0, "
                        "0 < cfl <= 0.5)\n");
        return 3;
    }
    if (p.D > p.crash_above) {
        fprintf(stderr, "heat: D = %g is above %g: giving up\n", p.D, p.crash_above);
        abort();
    }
    if (p.D < p.hang_below) {
        fprintf(stderr, "heat: D = %g is below %g: waiting forever\n", p.D, p.hang_below);
        fflush(stderr);
        for (;;)
            pause();
    }
    const double pi = acos(-1.0), dx = p.length / (nx - 1);
    long steps = (long)ceil(p.t_end * p.D / (p.cfl * dx * dx));
    double dt = steps ? p.t_end / steps : 0.0, r = p.D * dt / (dx * dx);
    double *u = malloc(nx * sizeof *u), *next = malloc(nx * sizeof *u);
    for (int j = 0; j < nx; j++)
        u[j] = sin(pi * j * dx / p.length);
    u[0] = u[nx - 1] = next[0] = next[nx - 1] = 0.0;
    for (long n = 0; n < steps; n++) {
        for (int j = 1; j < nx - 1; j++)
            next[j] = u[j] + r * (u[j + 1] - 2.0 * u[j] + u[j - 1]);
        double *swap = u;
        u = next;
        next = swap;
    }
    int status = write_json(argc > 2 ? argv[2] : "out.json", u, nx, steps, dt);
    free(u);
    free(next);
    return status == 0 ? 0 : 2;
}
