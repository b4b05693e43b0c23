import { start } from './app.js';

void start(document.getElementById('app')!);
