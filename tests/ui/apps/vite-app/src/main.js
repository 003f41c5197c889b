// Fills #root the way a React entry would: only a browser that runs scripts sees it.
const root = document.getElementById('root')
root.innerHTML = '<h1>Model registry sample</h1><p>3 models</p>'
