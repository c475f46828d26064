import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { tokenMissing } from './bridge';
import { TokenMissing } from './components/TokenMissing';
import { persistFormDraft } from './stores/form-draft';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
persistFormDraft(window.localStorage);
createRoot(root).render(
  <StrictMode>
    {tokenMissing ? <TokenMissing /> : <App />}
  </StrictMode>,
);
