/**
 * The single-page UI (packages/coordinator/static, shipped with the package) and the chart
 * library, served from the installed chart.js package: nothing is fetched from a CDN.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { packageFile } from '../package-root.js';

export const STATIC_DIR = packageFile('static');

function chartJsFile(): string {
  // The package's main export is dist/chart.js; its browser build sits beside it.
  return join(dirname(fileURLToPath(import.meta.resolve('chart.js'))), 'chart.umd.min.js');
}

export function staticRoutes(): Router {
  const router = Router();
  const chart = chartJsFile();
  router.get('/vendor/chart.umd.min.js', (_req, res) => {
    res.sendFile(chart, { maxAge: '1h' });
  });
  router.use(express.static(STATIC_DIR, { index: 'index.html', maxAge: 0 }));
  return router;
}
